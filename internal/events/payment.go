package events

import "time"

// Event types published by the payment service. The subject of each is the
// payment id.
const (
	TypePaymentSucceeded = "openhouse.payment.payment.succeeded.v1"
	TypePaymentFailed    = "openhouse.payment.payment.failed.v1"
	TypePaymentRefunded  = "openhouse.payment.payment.refunded.v1"
)

// PaymentSucceeded says a checkout's charge went through. It carries money
// only: what was bought is the cart's order (OrderPlaced, same OrderID).
// Audit is the settlement's audit entry (action payment.succeeded), whose
// id in the audit log is this event's: the entry rides on the event
// instead of an audit event of its own. Events published before the field
// existed have none; their entry came as a payment audit event.
type PaymentSucceeded struct {
	PaymentID   string         `json:"payment_id"`
	OrderID     string         `json:"order_id"`
	CustomerID  string         `json:"customer_id"`
	Amount      Money          `json:"amount"`
	SucceededAt time.Time      `json:"succeeded_at"`
	Audit       *AuditRecorded `json:"audit,omitempty"`
}

// PaymentFailed says a charge was declined or could not be made; nothing
// was taken from the customer. Reason is the gateway's decline code
// (card_declined, insufficient_funds, ...) or invalid_payment_method.
// Audit is the settlement's audit entry (action payment.failed), as in
// PaymentSucceeded.
type PaymentFailed struct {
	PaymentID  string         `json:"payment_id"`
	OrderID    string         `json:"order_id"`
	CustomerID string         `json:"customer_id"`
	Amount     Money          `json:"amount"`
	Reason     string         `json:"reason"`
	FailedAt   time.Time      `json:"failed_at"`
	Audit      *AuditRecorded `json:"audit,omitempty"`
}

// PaymentRefunded says money went back to the customer: Amount in this
// refund, TotalRefunded over the payment's life. Status is refunded when
// everything charged has been returned, partially_refunded otherwise. One
// event per refund, so a consumer summing Amount gets TotalRefunded.
type PaymentRefunded struct {
	PaymentID     string    `json:"payment_id"`
	RefundID      string    `json:"refund_id"`
	OrderID       string    `json:"order_id"`
	CustomerID    string    `json:"customer_id"`
	Amount        Money     `json:"amount"`
	TotalRefunded Money     `json:"total_refunded"`
	Status        string    `json:"status"`
	Reason        string    `json:"reason"`
	RequestedBy   string    `json:"requested_by"`
	RefundedAt    time.Time `json:"refunded_at"`
}

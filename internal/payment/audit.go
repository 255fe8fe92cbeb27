package payment

import (
	"context"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/audit"
)

// Money actions are audited: every charge created and settled, every
// refund requested and settled, whoever acted (the cart, an admin, the tour
// service, Stripe's webhook, or this service's own reconciliation). Each
// entry is published through tx, so it commits with the change it
// describes: as an openhouse.payment.audit.recorded.v1 event, or, for a
// charge's settlement, on the payment.succeeded or payment.failed event
// that announces it (settledEvent), which the audit log reads too.

// paymentState is a payment's before or after in an audit entry: its money
// and status, never the payment method token.
type paymentState struct {
	Status        status       `json:"status"`
	Amount        events.Money `json:"amount"`
	Refunded      events.Money `json:"refunded"`
	CustomerID    string       `json:"customer_id"`
	OrderID       string       `json:"order_id"`
	GatewayRef    string       `json:"gateway_ref,omitempty"`
	FailureReason string       `json:"failure_reason,omitempty"`
}

func paymentStateOf(p payment) *paymentState {
	return &paymentState{Status: p.Status, Amount: p.Amount, Refunded: p.Refunded, CustomerID: p.CustomerID,
		OrderID: p.OrderID, GatewayRef: p.GatewayRef, FailureReason: p.FailureReason}
}

// refundState is a refund's before or after in an audit entry.
type refundState struct {
	PaymentID   string       `json:"payment_id"`
	Amount      events.Money `json:"amount"`
	Status      RefundStatus `json:"status"`
	Reason      string       `json:"reason"`
	RequestedBy string       `json:"requested_by"`
}

func refundStateOf(r Refund) *refundState {
	return &refundState{PaymentID: r.PaymentID, Amount: r.Amount, Status: r.Status, Reason: r.Reason, RequestedBy: r.RequestedBy}
}

// record publishes, through tx, the audit entry of an action on a payment
// or refund; before or after is nil when the resource did not exist on
// that side.
func record[T any](ctx context.Context, tx storeTx, action, resourceType, id string, before, after *T, now time.Time) error {
	ev, err := audit.Record(ctx, "payment", audit.Change{Action: action, ResourceType: resourceType, ResourceID: id,
		Before: before, After: after}, now)
	if err != nil {
		return err
	}
	return tx.Publish(ev)
}

// webhookActor marks ctx as acting for Stripe's webhook, which has no token.
func webhookActor(ctx context.Context) context.Context {
	return audit.WithActor(ctx, audit.Actor{Role: audit.RoleWebhook, Service: "stripe"})
}

// Package payment owns payments and refunds: it charges a checkout through a
// Gateway (the built-in sandbox or Stripe), keeps each payment's state,
// refunds on request of an admin or the tour service, and announces every
// outcome as an event. This file is the domain: types and rules, no I/O.
package payment

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/usertext"
)

// Status is where a payment stands.
type status string

// Payment statuses. pending lasts from the moment the payment is recorded
// (before the gateway is called, so a crash never loses a charge) until the
// gateway's answer is recorded.
const (
	statusPending           status = "pending"
	statusSucceeded         status = "succeeded"
	statusFailed            status = "failed"
	statusRefunded          status = "refunded"
	statusPartiallyRefunded status = "partially_refunded"
)

// Valid reports whether s is a known status.
func (s status) Valid() bool {
	switch s {
	case statusPending, statusSucceeded, statusFailed, statusRefunded, statusPartiallyRefunded:
		return true
	}
	return false
}

// ReasonInvalidMethod is the FailureReason of a payment whose method the
// gateway does not accept; every other reason is a decline code.
const reasonInvalidMethod = "invalid_payment_method"

// ReasonRejected is the FailureReason of a charge the gateway refused as a
// request (an amount below its minimum, say): nothing was charged.
const reasonRejected = "rejected_by_gateway"

// Payment is one charge of a checkout and what was refunded of it.
type payment struct {
	ID         string
	CustomerID string
	OrderID    string
	Amount     events.Money
	Refunded   events.Money // same currency as Amount; zero until a refund
	Status     status
	// Method is the payment method token the cart passed on (tok_visa,
	// pm_...). Card data never reaches openhouse.
	Method     string
	GatewayRef string // the gateway's id of the charge, once known
	// IdempotencyKey is the caller's key of the request that created it.
	IdempotencyKey string
	FailureReason  string // decline code or ReasonInvalidMethod when failed
	ListingIDs     []string
	// ScheduledAt is the tour time the customer asked for; payment only
	// carries it to the tour service in payment.succeeded.
	ScheduledAt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Errors the domain's rules return, answered to clients by their kind.
var (
	// ErrNotSettled: the payment's charge is still in progress.
	errNotSettled = fault.Conflict("the payment is not settled yet").WithDetail("the payment is still being processed")
	// ErrNotRefundable: the payment failed, so nothing was charged.
	errNotRefundable = fault.Unprocessable("a failed payment cannot be refunded").WithWholeText()
	// ErrOverRefund: more than charged minus already refunded. The
	// service returns it as an *OverRefundError, which tells how much.
	errOverRefund = fault.Unprocessable("refund exceeds what is left of the payment").WithWholeText()
	// ErrNotPending: a charge outcome arrived for a payment already settled.
	errNotPending = errors.New("the payment is already settled")
)

// Limits on what a charge request may carry.
const (
	maxIDLen     = 128 // order, customer and listing ids
	maxMethodLen = 255
	maxListings  = 50
	maxReasonLen = 500
)

// ChargeInput is what the cart asks to be charged.
type chargeInput struct {
	OrderID     string
	CustomerID  string
	Amount      events.Money
	Method      string
	ListingIDs  []string
	ScheduledAt time.Time
}

// Validate checks a charge request against the rules; the result lists
// every invalid field.
func (in chargeInput) Validate() error {
	var errs fault.ValidationError
	checkID := func(field, v string) {
		if !validText(v, maxIDLen) {
			errs = append(errs, fault.FieldError{Field: field, Message: fmt.Sprintf("must be 1 to %d printable characters", maxIDLen)})
		}
	}
	checkID("order_id", in.OrderID)
	checkID("customer_id", in.CustomerID)
	if err := in.Amount.Validate(); err != nil {
		errs = append(errs, fault.FieldError{Field: "amount", Message: err.Error()})
	} else if in.Amount.Amount == 0 {
		errs = append(errs, fault.FieldError{Field: "amount", Message: "must be more than zero"})
	}
	if !usertext.IsToken(in.Method, maxMethodLen) {
		errs = append(errs, fault.FieldError{Field: "payment_method", Message: fmt.Sprintf("must be a token of 1 to %d printable ASCII characters", maxMethodLen)})
	}
	switch {
	case len(in.ListingIDs) == 0 || len(in.ListingIDs) > maxListings:
		errs = append(errs, fault.FieldError{Field: "listing_ids", Message: fmt.Sprintf("must list 1 to %d listings", maxListings)})
	default:
		for _, id := range in.ListingIDs {
			if !validText(id, maxIDLen) {
				errs = append(errs, fault.FieldError{Field: "listing_ids", Message: fmt.Sprintf("each id must be 1 to %d printable characters", maxIDLen)})
				break
			}
		}
	}
	if in.ScheduledAt.IsZero() {
		errs = append(errs, fault.FieldError{Field: "scheduled_at", Message: "is required (RFC 3339)"})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// validText: an id of 1..max runes that is already in the platform's text
// form (internal/platform/usertext: NFC, trimmed, one line, no control or
// bidirectional formatting characters, not blank). Ids are made by the
// services; one that is not in that form did not come from them.
func validText(s string, max int) bool {
	return s != "" && len(s) <= 4*max && utf8.ValidString(s) && utf8.RuneCountInString(s) <= max &&
		usertext.Normalize(s, usertext.Line) == s && usertext.Check(s, usertext.Line) == ""
}

// NewPayment records a valid charge request as a pending payment. Times are
// kept to the microsecond, the precision both databases store.
func newPayment(id string, in chargeInput, key string, now time.Time) payment {
	now = now.UTC().Truncate(time.Microsecond)
	return payment{
		ID:             id,
		CustomerID:     in.CustomerID,
		OrderID:        in.OrderID,
		Amount:         in.Amount,
		Refunded:       events.Money{Currency: in.Amount.Currency},
		Status:         statusPending,
		Method:         in.Method,
		IdempotencyKey: key,
		ListingIDs:     append([]string(nil), in.ListingIDs...),
		ScheduledAt:    in.ScheduledAt.UTC().Truncate(time.Microsecond),
		CreatedAt:      now,
		UpdatedAt:      now,
	}
}

// Settle records the gateway's outcome of the charge: succeeded, or failed
// with reason. Only a pending payment settles, once; a second outcome (a
// webhook after the answer, a resumed request) gets ErrNotPending and
// changes nothing.
func (p *payment) Settle(succeeded bool, ref, reason string, now time.Time) error {
	if p.Status != statusPending {
		return errNotPending
	}
	if ref != "" {
		p.GatewayRef = ref
	}
	if succeeded {
		p.Status = statusSucceeded
	} else {
		p.Status = statusFailed
		if reason == "" {
			reason = "declined"
		}
		p.FailureReason = reason
	}
	p.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	return nil
}

// Refundable is what may still be refunded, given reserved: the amount of
// refunds sent to the gateway whose outcome is not recorded yet.
func (p payment) Refundable(reserved int64) (int64, error) {
	switch p.Status {
	case statusPending:
		return 0, errNotSettled
	case statusFailed:
		return 0, errNotRefundable
	}
	return p.Amount.Amount - p.Refunded.Amount - reserved, nil
}

// CheckRefund decides the amount of a new refund: requested, or when nil
// everything that is left. It never allows more than charged minus refunded
// minus reserved, nor a refund of a payment that was not charged.
func (p payment) CheckRefund(requested *events.Money, reserved int64) (events.Money, error) {
	left, err := p.Refundable(reserved)
	if err != nil {
		return events.Money{}, err
	}
	if requested == nil {
		if left <= 0 {
			return events.Money{}, errOverRefund
		}
		return events.Money{Amount: left, Currency: p.Amount.Currency}, nil
	}
	if err := requested.Validate(); err != nil {
		return events.Money{}, fault.ValidationError{{Field: "amount", Message: err.Error()}}
	}
	if requested.Currency != p.Amount.Currency {
		return events.Money{}, fault.ValidationError{{Field: "amount", Message: "currency must be the payment's, " + p.Amount.Currency}}
	}
	if requested.Amount == 0 {
		return events.Money{}, fault.ValidationError{{Field: "amount", Message: "must be more than zero"}}
	}
	if requested.Amount > left {
		return events.Money{}, errOverRefund
	}
	return *requested, nil
}

// ApplyRefund records amount as returned to the customer: refunded once
// everything is back, partially_refunded before.
func (p *payment) ApplyRefund(amount events.Money, now time.Time) error {
	if _, err := p.CheckRefund(&amount, 0); err != nil {
		return err
	}
	p.Refunded = events.Money{Amount: p.Refunded.Amount + amount.Amount, Currency: p.Amount.Currency}
	if p.Refunded.Amount == p.Amount.Amount {
		p.Status = statusRefunded
	} else {
		p.Status = statusPartiallyRefunded
	}
	p.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	return nil
}

// RefundStatus is where a refund stands. pending lasts from the moment the
// refund is recorded (and its amount reserved) until the gateway's answer
// is recorded.
type RefundStatus string

// Refund statuses.
const (
	refundPending   RefundStatus = "pending"
	refundSucceeded RefundStatus = "succeeded"
	refundFailed    RefundStatus = "failed"
)

// Refund is one request to return money of a payment.
type Refund struct {
	ID          string
	PaymentID   string
	Amount      events.Money
	Status      RefundStatus
	Reason      string
	RequestedBy string // principal id: an admin or service:tour
	GatewayRef  string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// RefundInput is what a refund request may say.
type refundInput struct {
	Amount *events.Money // nil: everything that is left
	Reason string        // free text; default "requested"
}

// Validate checks the fields that do not depend on the payment.
func (in refundInput) Validate() error {
	var errs fault.ValidationError
	if in.Amount != nil {
		if err := in.Amount.Validate(); err != nil {
			errs = append(errs, fault.FieldError{Field: "amount", Message: err.Error()})
		} else if in.Amount.Amount == 0 {
			errs = append(errs, fault.FieldError{Field: "amount", Message: "must be more than zero"})
		}
	}
	if in.Reason != "" {
		reason := usertext.Normalize(in.Reason, usertext.Line)
		if n := utf8.RuneCountInString(reason); n < 1 || n > maxReasonLen {
			errs = append(errs, fault.FieldError{Field: "reason", Message: fmt.Sprintf("must be 1 to %d characters", maxReasonLen)})
		} else if msg := usertext.Check(reason, usertext.Line); msg != "" {
			errs = append(errs, fault.FieldError{Field: "reason", Message: msg})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// OverRefundError is ErrOverRefund with the payment's refunds at the time,
// so a caller can tell a refund someone else already made (an admin's,
// racing a cancellation) from a request for too much.
type overRefundError struct {
	PaymentID string
	Refunded  events.Money // settled refunds
	Pending   events.Money // refunds sent to the gateway whose outcome is not recorded yet
}

func (e *overRefundError) Error() string { return errOverRefund.Error() }

// Is makes errors.Is(err, ErrOverRefund) hold.
func (e *overRefundError) Is(target error) bool { return target == errOverRefund }

// Answer is a 422 with the payment's refunds (payment_id, refunded,
// pending_refunds).
func (e *overRefundError) Answer() fault.Answer {
	return fault.Answer{Kind: fault.KindUnprocessable, Detail: e.Error(), Extensions: map[string]any{
		"payment_id": e.PaymentID, "refunded": e.Refunded, "pending_refunds": e.Pending}}
}

// NewRefund records a refund of amount (already checked with CheckRefund)
// as pending.
func newRefund(id string, p payment, amount events.Money, reason, by string, now time.Time) Refund {
	if reason = usertext.Normalize(reason, usertext.Line); reason == "" {
		reason = "requested"
	}
	now = now.UTC().Truncate(time.Microsecond)
	return Refund{ID: id, PaymentID: p.ID, Amount: amount, Status: refundPending, Reason: reason,
		RequestedBy: by, CreatedAt: now, UpdatedAt: now}
}

// Settle records the gateway's outcome of a pending refund.
func (r *Refund) Settle(succeeded bool, ref string, now time.Time) error {
	if r.Status != refundPending {
		return errNotPending
	}
	r.Status = refundFailed
	if succeeded {
		r.Status = refundSucceeded
	}
	r.GatewayRef = ref
	r.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	return nil
}

// Package payment owns payments and refunds: it charges a checkout through a
// Gateway (the built-in sandbox or Stripe), keeps each payment's state,
// refunds on request of an admin or the tour service, and announces every
// outcome as an event. This file is the domain: types and rules, no I/O.
package payment

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/usertext"
)

// Status is where a payment stands.
type Status string

// Payment statuses. pending lasts from the moment the payment is recorded
// (before the gateway is called, so a crash never loses a charge) until the
// gateway's answer is recorded.
const (
	StatusPending           Status = "pending"
	StatusSucceeded         Status = "succeeded"
	StatusFailed            Status = "failed"
	StatusRefunded          Status = "refunded"
	StatusPartiallyRefunded Status = "partially_refunded"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusSucceeded, StatusFailed, StatusRefunded, StatusPartiallyRefunded:
		return true
	}
	return false
}

// ReasonInvalidMethod is the FailureReason of a payment whose method the
// gateway does not accept; every other reason is a decline code.
const ReasonInvalidMethod = "invalid_payment_method"

// ReasonRejected is the FailureReason of a charge the gateway refused as a
// request (an amount below its minimum, say): nothing was charged.
const ReasonRejected = "rejected_by_gateway"

// Payment is one charge of a checkout and what was refunded of it.
type Payment struct {
	ID         string
	CustomerID string
	OrderID    string
	Amount     events.Money
	Refunded   events.Money // same currency as Amount; zero until a refund
	Status     Status
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

// Errors the domain's rules return; the HTTP layer maps them to problems.
var (
	// ErrNotSettled: the payment's charge is still in progress.
	ErrNotSettled = errors.New("the payment is not settled yet")
	// ErrNotRefundable: the payment failed, so nothing was charged.
	ErrNotRefundable = errors.New("a failed payment cannot be refunded")
	// ErrOverRefund: more than charged minus already refunded. The
	// service returns it as an *OverRefundError, which tells how much.
	ErrOverRefund = errors.New("refund exceeds what is left of the payment")
	// ErrNotPending: a charge outcome arrived for a payment already settled.
	ErrNotPending = errors.New("the payment is already settled")
)

// FieldError says what is wrong with one field of a request.
type FieldError struct{ Field, Message string }

// ValidationError lists every problem of a request at once.
type ValidationError []FieldError

func (v ValidationError) Error() string {
	parts := make([]string, len(v))
	for i, f := range v {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

// Limits on what a charge request may carry.
const (
	MaxIDLen     = 128 // order, customer and listing ids
	MaxMethodLen = 255
	MaxListings  = 50
	MaxReasonLen = 500
)

// ChargeInput is what the cart asks to be charged.
type ChargeInput struct {
	OrderID     string
	CustomerID  string
	Amount      events.Money
	Method      string
	ListingIDs  []string
	ScheduledAt time.Time
}

// Validate checks a charge request against the rules; the result lists
// every invalid field.
func (in ChargeInput) Validate() error {
	var errs ValidationError
	checkID := func(field, v string) {
		if !validText(v, MaxIDLen) {
			errs = append(errs, FieldError{field, fmt.Sprintf("must be 1 to %d printable characters", MaxIDLen)})
		}
	}
	checkID("order_id", in.OrderID)
	checkID("customer_id", in.CustomerID)
	if err := in.Amount.Validate(); err != nil {
		errs = append(errs, FieldError{"amount", err.Error()})
	} else if in.Amount.Amount == 0 {
		errs = append(errs, FieldError{"amount", "must be more than zero"})
	}
	if !usertext.IsToken(in.Method, MaxMethodLen) {
		errs = append(errs, FieldError{"payment_method", fmt.Sprintf("must be a token of 1 to %d printable ASCII characters", MaxMethodLen)})
	}
	switch {
	case len(in.ListingIDs) == 0 || len(in.ListingIDs) > MaxListings:
		errs = append(errs, FieldError{"listing_ids", fmt.Sprintf("must list 1 to %d listings", MaxListings)})
	default:
		for _, id := range in.ListingIDs {
			if !validText(id, MaxIDLen) {
				errs = append(errs, FieldError{"listing_ids", fmt.Sprintf("each id must be 1 to %d printable characters", MaxIDLen)})
				break
			}
		}
	}
	if in.ScheduledAt.IsZero() {
		errs = append(errs, FieldError{"scheduled_at", "is required (RFC 3339)"})
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
func NewPayment(id string, in ChargeInput, key string, now time.Time) Payment {
	now = now.UTC().Truncate(time.Microsecond)
	return Payment{
		ID:             id,
		CustomerID:     in.CustomerID,
		OrderID:        in.OrderID,
		Amount:         in.Amount,
		Refunded:       events.Money{Currency: in.Amount.Currency},
		Status:         StatusPending,
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
func (p *Payment) Settle(succeeded bool, ref, reason string, now time.Time) error {
	if p.Status != StatusPending {
		return ErrNotPending
	}
	if ref != "" {
		p.GatewayRef = ref
	}
	if succeeded {
		p.Status = StatusSucceeded
	} else {
		p.Status = StatusFailed
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
func (p Payment) Refundable(reserved int64) (int64, error) {
	switch p.Status {
	case StatusPending:
		return 0, ErrNotSettled
	case StatusFailed:
		return 0, ErrNotRefundable
	}
	return p.Amount.Amount - p.Refunded.Amount - reserved, nil
}

// CheckRefund decides the amount of a new refund: requested, or when nil
// everything that is left. It never allows more than charged minus refunded
// minus reserved, nor a refund of a payment that was not charged.
func (p Payment) CheckRefund(requested *events.Money, reserved int64) (events.Money, error) {
	left, err := p.Refundable(reserved)
	if err != nil {
		return events.Money{}, err
	}
	if requested == nil {
		if left <= 0 {
			return events.Money{}, ErrOverRefund
		}
		return events.Money{Amount: left, Currency: p.Amount.Currency}, nil
	}
	if err := requested.Validate(); err != nil {
		return events.Money{}, ValidationError{{"amount", err.Error()}}
	}
	if requested.Currency != p.Amount.Currency {
		return events.Money{}, ValidationError{{"amount", "currency must be the payment's, " + p.Amount.Currency}}
	}
	if requested.Amount == 0 {
		return events.Money{}, ValidationError{{"amount", "must be more than zero"}}
	}
	if requested.Amount > left {
		return events.Money{}, ErrOverRefund
	}
	return *requested, nil
}

// ApplyRefund records amount as returned to the customer: refunded once
// everything is back, partially_refunded before.
func (p *Payment) ApplyRefund(amount events.Money, now time.Time) error {
	if _, err := p.CheckRefund(&amount, 0); err != nil {
		return err
	}
	p.Refunded = events.Money{Amount: p.Refunded.Amount + amount.Amount, Currency: p.Amount.Currency}
	if p.Refunded.Amount == p.Amount.Amount {
		p.Status = StatusRefunded
	} else {
		p.Status = StatusPartiallyRefunded
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
	RefundPending   RefundStatus = "pending"
	RefundSucceeded RefundStatus = "succeeded"
	RefundFailed    RefundStatus = "failed"
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
type RefundInput struct {
	Amount *events.Money // nil: everything that is left
	Reason string        // free text; default "requested"
}

// Validate checks the fields that do not depend on the payment.
func (in RefundInput) Validate() error {
	var errs ValidationError
	if in.Amount != nil {
		if err := in.Amount.Validate(); err != nil {
			errs = append(errs, FieldError{"amount", err.Error()})
		} else if in.Amount.Amount == 0 {
			errs = append(errs, FieldError{"amount", "must be more than zero"})
		}
	}
	if in.Reason != "" {
		reason := usertext.Normalize(in.Reason, usertext.Line)
		if n := utf8.RuneCountInString(reason); n < 1 || n > MaxReasonLen {
			errs = append(errs, FieldError{"reason", fmt.Sprintf("must be 1 to %d characters", MaxReasonLen)})
		} else if msg := usertext.Check(reason, usertext.Line); msg != "" {
			errs = append(errs, FieldError{"reason", msg})
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
type OverRefundError struct {
	PaymentID string
	Refunded  events.Money // settled refunds
	Pending   events.Money // refunds sent to the gateway whose outcome is not recorded yet
}

func (e *OverRefundError) Error() string { return ErrOverRefund.Error() }

// Is makes errors.Is(err, ErrOverRefund) hold.
func (e *OverRefundError) Is(target error) bool { return target == ErrOverRefund }

// NewRefund records a refund of amount (already checked with CheckRefund)
// as pending.
func NewRefund(id string, p Payment, amount events.Money, reason, by string, now time.Time) Refund {
	if reason = usertext.Normalize(reason, usertext.Line); reason == "" {
		reason = "requested"
	}
	now = now.UTC().Truncate(time.Microsecond)
	return Refund{ID: id, PaymentID: p.ID, Amount: amount, Status: RefundPending, Reason: reason,
		RequestedBy: by, CreatedAt: now, UpdatedAt: now}
}

// Settle records the gateway's outcome of a pending refund.
func (r *Refund) Settle(succeeded bool, ref string, now time.Time) error {
	if r.Status != RefundPending {
		return ErrNotPending
	}
	r.Status = RefundFailed
	if succeeded {
		r.Status = RefundSucceeded
	}
	r.GatewayRef = ref
	r.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	return nil
}

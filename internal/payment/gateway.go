package payment

import (
	"context"
	"errors"

	"github.com/openhouse/openhouse/internal/events"
)

// Gateway moves money: it charges a payment method and refunds charges. Two
// implementations exist, the built-in Sandbox (the default) and Stripe; both
// pass the same contract suite (gateway_contract_test.go).
//
// The contract:
//
//   - Every call carries an IdempotencyKey. A call repeated with the same
//     key and the same parameters returns the first call's result and moves
//     no more money, however often and however concurrently it is repeated
//     (Stripe may answer a concurrent repeat with an error instead; the
//     caller retries it). The same key with other parameters is an error
//     wrapping ErrRejected. Keys are kept at least 24 hours.
//   - A declined card is not an error: Charge returns ChargeDeclined with
//     the gateway's decline code.
//   - ErrInvalidMethod: the method is not one the gateway can charge;
//     nothing was charged, and repeating the call will not change that.
//   - ErrRejected: the gateway refused the request itself (a refund over
//     what is left, an unknown charge, a reused key); nothing changed.
//   - Any other error means the outcome is unknown (a timeout, the gateway
//     down): the money may or may not have moved. The caller repeats the
//     call with the same key later, which is safe because of the first rule.
//
// Implementations are safe for concurrent use and honour ctx.
type Gateway interface {
	Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error)
	Refund(ctx context.Context, req RefundRequest) (RefundResult, error)
}

// ChargeRequest asks for one charge.
type ChargeRequest struct {
	Amount         events.Money
	Method         string // a token such as tok_visa or pm_...
	IdempotencyKey string
	Description    string
	// Reference is openhouse's id of the payment; the gateway keeps it
	// with the charge (Stripe: metadata) so that its webhooks can name it.
	Reference string
}

// ChargeStatus is a charge's outcome.
type ChargeStatus string

// Charge outcomes.
const (
	chargeSucceeded ChargeStatus = "succeeded"
	chargeDeclined  ChargeStatus = "declined"
)

// ChargeResult is the gateway's answer to a charge.
type ChargeResult struct {
	Ref         string // the gateway's id of the charge; empty if none was made
	Status      ChargeStatus
	DeclineCode string // why it was declined, e.g. card_declined
}

// RefundRequest asks to return Amount of the charge Ref.
type RefundRequest struct {
	Ref            string
	Amount         events.Money
	IdempotencyKey string
}

// RefundResult is the gateway's answer to a refund it accepted.
type RefundResult struct {
	Ref    string // the gateway's id of the refund
	Status string // succeeded, or pending while the gateway settles it
}

// Gateway errors; see the Gateway contract.
var (
	errInvalidMethod = errors.New("payment method not accepted by the gateway")
	errRejected      = errors.New("request rejected by the gateway")
)

// gatewayKey is the idempotency key a payment's charge (or a refund) is
// sent with. It is derived from the payment (refund) id, not taken from the
// caller, so that every retry and resumption of one payment sends the same
// key, and different callers' keys can never collide at the gateway.
func gatewayKey(kind, id string) string { return "openhouse-" + kind + "-" + id }

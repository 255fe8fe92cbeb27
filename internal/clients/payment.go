package clients

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/openhouse/openhouse/internal/events"
)

// ChargeRequest is the body of POST /payments.
type ChargeRequest struct {
	OrderID       string       `json:"order_id"`
	CustomerID    string       `json:"customer_id"`
	Amount        events.Money `json:"amount"`
	PaymentMethod string       `json:"payment_method"`
	ListingIDs    []string     `json:"listing_ids"`
	ScheduledAt   time.Time    `json:"scheduled_at"`
}

// Payment is a payment as the payment service shows it.
type Payment struct {
	ID     string       `json:"id"`
	Status string       `json:"status" example:"succeeded"`
	Amount events.Money `json:"amount"`
}

// Declined is the answer to a charge the gateway refused (402).
type Declined struct {
	PaymentID string
	Problem   Problem
}

func (d *Declined) Error() string { return "payment declined: " + d.Problem.Detail }

// Payments calls the payment service.
type Payments struct{ c *caller }

// NewPayments returns a client of the payment service at base.
func NewPayments(base string, hc *http.Client, tokens TokenSource, opts Options) *Payments {
	return &Payments{c: newCaller("payment", base, hc, tokens, opts)}
}

// Charge asks for a payment. The idempotency key makes a repeated call
// (after a timeout, a crash) return the first call's result and charge at
// most once, so the caller may repeat it freely. A decline is *Declined.
func (p *Payments) Charge(ctx context.Context, idempotencyKey string, req ChargeRequest) (Payment, error) {
	h := http.Header{}
	h.Set("Idempotency-Key", idempotencyKey)
	resp, err := p.c.call(ctx, http.MethodPost, "/payments", h, req, false)
	if err != nil {
		return Payment{}, err
	}
	if resp.status == http.StatusPaymentRequired {
		d := &Declined{}
		var body struct {
			Problem
			PaymentID string `json:"payment_id"`
		}
		_ = json.Unmarshal(resp.body, &body)
		d.Problem, d.PaymentID = body.Problem, body.PaymentID
		return Payment{}, d
	}
	var out Payment
	return out, decode(resp, http.StatusCreated, &out)
}

// RefundRequest is the body of POST /payments/{id}/refund.
type RefundRequest struct {
	Amount *events.Money `json:"amount,omitempty"` // nil: everything left
	Reason string        `json:"reason,omitempty"`
}

// OverRefund is the payment service's refusal of a refund larger than what
// is left of the payment (422), with what had been refunded by then and
// what was still pending. It unwraps to its *APIError.
type OverRefund struct {
	*APIError
	Refunded events.Money
	Pending  events.Money
}

func (e *OverRefund) Unwrap() error { return e.APIError }

// Refund returns money to the payer. The idempotency key makes repeating
// it (after a timeout, a redelivered event) refund at most once. A refund
// of more than is left is an *OverRefund.
func (p *Payments) Refund(ctx context.Context, paymentID, idempotencyKey string, req RefundRequest) (Payment, error) {
	h := http.Header{}
	h.Set("Idempotency-Key", idempotencyKey)
	resp, err := p.c.call(ctx, http.MethodPost, "/payments/"+url.PathEscape(paymentID)+"/refund", h, req, false)
	if err != nil {
		return Payment{}, err
	}
	var out Payment
	if resp.status == http.StatusOK || resp.status == http.StatusCreated {
		return out, json.Unmarshal(resp.body, &out)
	}
	err = decode(resp, http.StatusOK, &out)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusUnprocessableEntity {
		var state struct {
			Refunded       *events.Money `json:"refunded"`
			PendingRefunds *events.Money `json:"pending_refunds"`
		}
		if json.Unmarshal(resp.body, &state) == nil && state.Refunded != nil && state.PendingRefunds != nil {
			return out, &OverRefund{APIError: apiErr, Refunded: *state.Refunded, Pending: *state.PendingRefunds}
		}
	}
	return out, err
}

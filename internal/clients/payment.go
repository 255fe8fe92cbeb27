package clients

import (
	"context"
	"encoding/json"
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
	Status string       `json:"status"`
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

// Refund returns money to the payer. The idempotency key makes repeating
// it (after a timeout, a redelivered event) refund at most once.
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
	return out, decode(resp, http.StatusOK, &out)
}

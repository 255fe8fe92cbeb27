package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// stripeEvent is a Stripe event about a PaymentIntent naming paymentID.
func stripeEvent(typ, paymentID, status, extra string) string {
	return fmt.Sprintf(`{"id":"evt_1","object":"event","api_version":"2019-02-19","created":1700000000,"type":%q,`+
		`"data":{"object":{"id":"pi_hook","object":"payment_intent","amount":2500,"currency":"usd","status":%q,`+
		`"metadata":{"openhouse_payment_id":%q}%s}}}`, typ, status, paymentID, extra)
}

// signed returns the Stripe-Signature header for body, signed at at.
func signed(body, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(body), Secret: secret, Timestamp: at}).Header
}

func (h *harness) webhook(body, signature string) *httptest.ResponseRecorder {
	h.t.Helper()
	r := httptest.NewRequest("POST", "/payments/webhooks/stripe", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if signature != "" {
		r.Header.Set("Stripe-Signature", signature)
	}
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, r)
	return rec
}

// pendingPayment makes a payment whose charge answer was lost, so it stays
// pending, and returns its id.
func (h *harness) pendingPayment(key string) string {
	h.t.Helper()
	h.gw.afterCharge = func(ChargeResult, error) (ChargeResult, error) {
		return ChargeResult{}, errors.New("timeout")
	}
	defer func() { h.gw.afterCharge = nil }()
	readProblem(h.t, h.charge(key, chargeBody("o-"+key, customer.ID, 2500, tokenVisa)), http.StatusServiceUnavailable)
	var id string
	if err := h.db.QueryRow(`SELECT resource_id FROM idempotency_keys WHERE idem_key = $1`, key).Scan(&id); err != nil {
		h.t.Fatal(err)
	}
	return id
}

func TestStripeWebhook(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	ctx := context.Background()
	now := time.Now()

	t.Run("refused signatures change nothing", func(t *testing.T) {
		id := h.pendingPayment("k-refused")
		body := stripeEvent("payment_intent.succeeded", id, "succeeded", "")
		before := h.snapshot()
		cases := map[string]struct{ body, signature string }{
			"missing":           {body, ""},
			"wrong secret":      {body, signed(body, "whsec_someone_else", now)},
			"expired":           {body, signed(body, webhookSecret, now.Add(-6*time.Minute))},
			"malformed":         {body, "t=yesterday,v1=zz"},
			"no v1 signature":   {body, fmt.Sprintf("t=%d,v0=abc", now.Unix())},
			"body tampered":     {strings.Replace(body, `"amount":2500`, `"amount":1`, 1), signed(body, webhookSecret, now)},
			"payment swapped":   {stripeEvent("payment_intent.succeeded", "another", "succeeded", ""), signed(body, webhookSecret, now)},
			"signature of past": {body, signed(body, webhookSecret, now.Add(-time.Hour))},
		}
		for name, c := range cases {
			t.Run(name, func(t *testing.T) {
				pr := readProblem(t, h.webhook(c.body, c.signature), http.StatusBadRequest)
				if strings.Contains(pr.Detail, webhookSecret) || !strings.Contains(pr.Detail, "Stripe-Signature") {
					t.Errorf("detail = %q", pr.Detail)
				}
			})
		}
		if h.snapshot() != before {
			t.Fatal("a refused webhook changed state")
		}
		p, _ := h.store.Payment(ctx, id)
		if p.Status != statusPending {
			t.Fatalf("payment is %s", p.Status)
		}
	})

	t.Run("payment_intent.succeeded settles a pending payment once", func(t *testing.T) {
		id := h.pendingPayment("k-ok")
		body := stripeEvent("payment_intent.succeeded", id, "succeeded", "")
		before := len(h.outboxEvents(events.TypePaymentSucceeded))
		for range 2 { // Stripe delivers at least once
			if rec := h.webhook(body, signed(body, webhookSecret, now)); rec.Code != http.StatusOK {
				t.Fatalf("webhook = %d %s", rec.Code, rec.Body)
			}
		}
		p, _ := h.store.Payment(ctx, id)
		if p.Status != statusSucceeded || p.GatewayRef != "pi_hook" {
			t.Fatalf("payment = %+v", p)
		}
		if n := len(h.outboxEvents(events.TypePaymentSucceeded)) - before; n != 1 {
			t.Fatalf("%d succeeded events, want 1", n)
		}
		// The cart's retry answers from the settled payment without
		// asking the gateway again.
		asked := h.gw.charges.Load()
		retry := h.charge("k-ok", chargeBody("o-k-ok", customer.ID, 2500, tokenVisa))
		if v := decode[view](t, retry); retry.Code != http.StatusCreated || v.ID != id || h.gw.charges.Load() != asked {
			t.Fatalf("retry = %d %+v, gateway asked %d more times", retry.Code, v, h.gw.charges.Load()-asked)
		}
		// A late failure notice for a settled payment changes nothing.
		failed := stripeEvent("payment_intent.payment_failed", id, "requires_payment_method", "")
		if rec := h.webhook(failed, signed(failed, webhookSecret, now)); rec.Code != http.StatusOK {
			t.Fatalf("late failure = %d", rec.Code)
		}
		if p, _ := h.store.Payment(ctx, id); p.Status != statusSucceeded {
			t.Fatalf("a late failure turned the payment %s", p.Status)
		}
	})

	t.Run("payment_intent.payment_failed fails a pending payment", func(t *testing.T) {
		id := h.pendingPayment("k-failed")
		body := stripeEvent("payment_intent.payment_failed", id, "requires_payment_method",
			`,"last_payment_error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds"}`)
		if rec := h.webhook(body, signed(body, webhookSecret, now)); rec.Code != http.StatusOK {
			t.Fatalf("webhook = %d %s", rec.Code, rec.Body)
		}
		p, _ := h.store.Payment(ctx, id)
		if p.Status != statusFailed || p.FailureReason != "insufficient_funds" {
			t.Fatalf("payment = %+v", p)
		}
		var found bool
		for _, ev := range h.outboxEvents(events.TypePaymentFailed) {
			var e events.PaymentFailed
			if err := ev.DataAs(&e); err != nil {
				t.Fatal(err)
			}
			found = found || (e.PaymentID == id && e.Reason == "insufficient_funds")
		}
		if !found {
			t.Fatal("no payment.failed event")
		}
	})

	t.Run("other events and unknown payments are acknowledged", func(t *testing.T) {
		before := h.snapshot()
		for _, body := range []string{
			stripeEvent("charge.refunded", "whatever", "succeeded", ""),
			stripeEvent("payment_intent.succeeded", "not-ours", "succeeded", ""),
			stripeEvent("payment_intent.succeeded", "", "succeeded", ""),
		} {
			if rec := h.webhook(body, signed(body, webhookSecret, now)); rec.Code != http.StatusOK {
				t.Fatalf("webhook = %d %s", rec.Code, rec.Body)
			}
		}
		if h.snapshot() != before {
			t.Fatal("an ignored event changed state")
		}
	})

	t.Run("huge body", func(t *testing.T) {
		body := stripeEvent("charge.refunded", "x", "succeeded", `,"pad":"`+strings.Repeat("a", 1<<20)+`"`)
		readProblem(t, h.webhook(body, signed(body, webhookSecret, now)), http.StatusRequestEntityTooLarge)
	})
}

func TestWebhookNotServedWithoutSecret(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite, func(c *Config) { c.WebhookSecret = "" })
	body := stripeEvent("payment_intent.succeeded", "x", "succeeded", "")
	readProblem(t, h.webhook(body, signed(body, "", time.Now())), http.StatusNotFound)
}

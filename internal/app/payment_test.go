package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// withServiceSecrets gives every service identity a known secret, so the
// test can act as the cart service.
func withServiceSecrets(cfg app.Config) app.Config {
	cfg.ServiceCredentials = map[string]string{}
	for _, name := range app.ServiceNames() {
		cfg.ServiceCredentials[name] = name + "-test-secret-0123456789"
	}
	return cfg
}

func serviceToken(t testing.TB, c client, cfg app.Config, service string) string {
	t.Helper()
	ts := auth.NewTokenSource(c.base+"/iam/token",
		auth.ServiceCredential{ClientID: service, Secret: cfg.ServiceCredentials[service]}, nil, nil)
	tok, err := ts.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (c client) charge(token, key string, body map[string]any) (int, map[string]any) {
	c.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.base+"/payments", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestPaymentIsWired: in a full process the cart identity charges through
// the sandbox gateway, the payment's event reaches the bus through the
// outbox relay, and an admin reads the payment.
func TestPaymentIsWired(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			suffix := time.Now().Format("150405.000000")
			cfg = withServiceSecrets(cfg)
			cfg.AdminEmail, cfg.AdminPassword = "payroot"+suffix+"@example.com", "the admin passphrase"
			a, c := startApp(t, cfg)

			got := make(chan events.PaymentSucceeded, 16)
			ctx := context.Background()
			if _, err := a.Bus().Subscribe(ctx, bus.Subscription{
				Consumer: "paytest" + time.Now().Format("150405000000"), Stream: "payment",
				Handlers: map[string]bus.Handler{events.TypePaymentSucceeded: func(_ context.Context, ev bus.Event) error {
					var e events.PaymentSucceeded
					if err := ev.DataAs(&e); err != nil {
						return err
					}
					got <- e
					return nil
				}},
			}); err != nil {
				t.Fatal(err)
			}

			cart := serviceToken(t, c, cfg, "cart")
			body := map[string]any{"order_id": "order-" + suffix, "customer_id": "cust-" + suffix,
				"amount": map[string]any{"amount": 4200, "currency": "USD"}, "payment_method": "tok_visa",
				"listing_ids": []string{"l-1"}, "scheduled_at": "2031-01-02T15:00:00Z"}
			status, p := c.charge(cart, "wired-"+suffix, body)
			if status != http.StatusCreated || p["status"] != "succeeded" {
				t.Fatalf("charge = %d %v", status, p)
			}
			if status, again := c.charge(cart, "wired-"+suffix, body); status != http.StatusCreated || again["id"] != p["id"] {
				t.Fatalf("repeat = %d %v", status, again)
			}
			deadline := time.After(15 * time.Second)
		wait:
			for {
				select {
				case e := <-got:
					if e.PaymentID == p["id"] {
						if e.Amount.Amount != 4200 {
							t.Fatalf("event = %+v", e)
						}
						break wait
					}
				case <-deadline:
					t.Fatal("payment.succeeded never reached the bus")
				}
			}
			admin := c.login(cfg.AdminEmail, cfg.AdminPassword)
			if status, view := c.call("GET", "/payments/"+p["id"].(string), admin, nil); status != 200 || view["id"] != p["id"] {
				t.Fatalf("admin GET = %d %v", status, view)
			}
			if status, _ := c.call("GET", "/payments/"+p["id"].(string), cart, nil); status != http.StatusForbidden {
				t.Fatalf("cart GET = %d, want 403", status)
			}
		})
	}
}

// TestPaymentUsesStripeWhenConfigured: OPENHOUSE_STRIPE_SECRET_KEY switches
// the gateway to Stripe (here stripe-mock, whose canned PaymentIntent is
// requires_payment_method, so the charge is declined: 402), and
// OPENHOUSE_STRIPE_WEBHOOK_SECRET mounts the signed webhook.
func TestPaymentUsesStripeWhenConfigured(t *testing.T) {
	mock := os.Getenv("OPENHOUSE_TEST_STRIPE_MOCK_URL")
	if mock == "" {
		t.Skip("OPENHOUSE_TEST_STRIPE_MOCK_URL is not set; .ci/run starts stripe-mock")
	}
	t.Setenv("OPENHOUSE_STRIPE_SECRET_KEY", "sk_test_openhouse")
	t.Setenv("OPENHOUSE_STRIPE_API_BASE", mock)
	t.Setenv("OPENHOUSE_STRIPE_WEBHOOK_SECRET", "whsec_openhouse_test")
	cfg := withServiceSecrets(backends(t)["embedded"])
	_, c := startApp(t, cfg)
	cart := serviceToken(t, c, cfg, "cart")
	status, p := c.charge(cart, "stripe-1", map[string]any{"order_id": "order-1", "customer_id": "cust-1",
		"amount": map[string]any{"amount": 4200, "currency": "USD"}, "payment_method": "tok_visa",
		"listing_ids": []string{"l-1"}, "scheduled_at": "2031-01-02T15:00:00Z"})
	if status != http.StatusPaymentRequired || p["payment_id"] == nil {
		t.Fatalf("charge through stripe-mock = %d %v; want the canned decline", status, p)
	}
	if status, _ := c.call("POST", "/payments/webhooks/stripe", "", map[string]string{"type": "payment_intent.succeeded"}); status != http.StatusBadRequest {
		t.Fatalf("unsigned webhook = %d, want 400", status)
	}
}

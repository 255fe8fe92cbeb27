package payment

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
)

// TestStripeMapsAnswers checks how the adapter reads Stripe's answers and
// errors, which stripe-mock cannot produce (it answers every valid request
// with one fixture). The bodies are the shapes Stripe documents.
func TestStripeMapsAnswers(t *testing.T) {
	type want struct {
		status ChargeStatus
		code   string
		ref    string
		err    error // ErrInvalidMethod, ErrRejected, errUnknown or nil
		calls  int64
	}
	piBody := func(status, extra string) string {
		return `{"id":"pi_1","object":"payment_intent","amount":2500,"currency":"usd","status":"` + status + `"` + extra + `}`
	}
	errBody := func(fields string) string { return `{"error":{` + fields + `}}` }
	cases := []struct {
		name   string
		method string
		status int
		body   string
		want   want
	}{
		{"succeeded", "pm_card_visa", 200, piBody("succeeded", ""), want{status: chargeSucceeded, ref: "pi_1", calls: 1}},
		{"requires_payment_method with a decline code", "pm_card_visa", 200,
			piBody("requires_payment_method", `,"last_payment_error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds"}`),
			want{status: chargeDeclined, code: "insufficient_funds", ref: "pi_1", calls: 1}},
		{"requires_action", "pm_card_visa", 200, piBody("requires_action", ""),
			want{status: chargeDeclined, code: "authentication_required", ref: "pi_1", calls: 1}},
		{"processing is not known yet", "pm_card_visa", 200, piBody("processing", ""), want{err: errUnknown, calls: 1}},
		{"402 card_error", "pm_card_visa", 402,
			errBody(`"type":"card_error","code":"card_declined","decline_code":"generic_decline","message":"Your card was declined.","payment_intent":{"id":"pi_2","object":"payment_intent","status":"requires_payment_method"}`),
			want{status: chargeDeclined, code: "generic_decline", ref: "pi_2", calls: 1}},
		{"no such payment method", "pm_nope", 400,
			errBody(`"type":"invalid_request_error","code":"resource_missing","param":"payment_method","message":"No such PaymentMethod: 'pm_nope'"`),
			want{err: errInvalidMethod, calls: 1}},
		{"no such token", "tok_nope", 400,
			errBody(`"type":"invalid_request_error","code":"resource_missing","param":"card[token]","message":"No such token: 'tok_nope'"`),
			want{err: errInvalidMethod, calls: 1}},
		{"amount too small", "pm_card_visa", 400,
			errBody(`"type":"invalid_request_error","code":"amount_too_small","param":"amount","message":"Amount must be at least $0.50 usd"`),
			want{err: errRejected, calls: 1}},
		{"key reused with other parameters", "pm_card_visa", 400,
			errBody(`"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters they were first used with."`),
			want{err: errRejected, calls: 1}},
		{"key in use by a concurrent request", "pm_card_visa", 409,
			errBody(`"type":"invalid_request_error","code":"idempotency_key_in_use","message":"There is currently another in-progress request using this Stripe-Idempotency-Key."`),
			want{err: errUnknown, calls: 1}},
		{"rate limited", "pm_card_visa", 429, errBody(`"type":"invalid_request_error","code":"rate_limit","message":"Too many requests"`), want{err: errUnknown, calls: 1}},
		{"server error", "pm_card_visa", 500, errBody(`"type":"api_error","message":"Something went wrong"`), want{err: errUnknown, calls: 1}},
		{"bad API key", "pm_card_visa", 401, errBody(`"type":"invalid_request_error","message":"Invalid API Key provided"`), want{err: errUnknown, calls: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				_, _ = w.Write([]byte(c.body))
			}))
			defer srv.Close()
			gw, err := NewStripe(StripeConfig{SecretKey: "sk_test_x", APIBase: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			res, err := gw.Charge(context.Background(), ChargeRequest{Amount: usd(2500), Method: c.method, IdempotencyKey: "k-1"})
			switch {
			case c.want.err == errUnknown:
				if err == nil || errors.Is(err, errInvalidMethod) || errors.Is(err, errRejected) {
					t.Fatalf("Charge = %+v, %v; want an unknown-outcome error", res, err)
				}
			case c.want.err != nil:
				if !errors.Is(err, c.want.err) {
					t.Fatalf("Charge = %+v, %v; want %v", res, err, c.want.err)
				}
			default:
				want := ChargeResult{Ref: c.want.ref, Status: c.want.status, DeclineCode: c.want.code}
				if err != nil || res != want {
					t.Fatalf("Charge = %+v, %v; want %+v", res, err, want)
				}
			}
			if got := calls.Load(); got != c.want.calls {
				t.Fatalf("the adapter made %d calls, want %d (no hidden retries)", got, c.want.calls)
			}
		})
	}
}

// errUnknown marks cases whose error must be neither ErrInvalidMethod nor
// ErrRejected: the outcome is unknown and the caller retries.
var errUnknown = errors.New("unknown outcome")

func TestStripeMapsRefundAnswers(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		ok     bool
		err    error
	}{
		{"succeeded", 200, `{"id":"re_1","object":"refund","status":"succeeded","amount":100}`, true, nil},
		{"pending counts as accepted", 200, `{"id":"re_1","object":"refund","status":"pending","amount":100}`, true, nil},
		{"failed", 200, `{"id":"re_1","object":"refund","status":"failed","amount":100}`, false, errRejected},
		{"already refunded", 400, `{"error":{"type":"invalid_request_error","code":"charge_already_refunded","message":"Charge has already been refunded."}}`, false, errRejected},
		{"server error", 503, `{"error":{"type":"api_error","message":"down"}}`, false, errUnknown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/refunds" || r.Header.Get("Idempotency-Key") != "rk" {
					t.Errorf("request %s %s key %q", r.Method, r.URL.Path, r.Header.Get("Idempotency-Key"))
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				_, _ = w.Write([]byte(c.body))
			}))
			defer srv.Close()
			gw, err := NewStripe(StripeConfig{SecretKey: "sk_test_x", APIBase: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			res, err := gw.Refund(context.Background(), RefundRequest{Ref: "pi_1", Amount: usd(100), IdempotencyKey: "rk"})
			switch {
			case c.ok:
				if err != nil || res.Ref != "re_1" {
					t.Fatalf("Refund = %+v, %v", res, err)
				}
			case c.err == errUnknown:
				if err == nil || errors.Is(err, errRejected) {
					t.Fatalf("Refund = %+v, %v; want an unknown-outcome error", res, err)
				}
			default:
				if !errors.Is(err, c.err) {
					t.Fatalf("Refund = %+v, %v; want %v", res, err, c.err)
				}
			}
		})
	}
}

// TestStripeMockRefusesBadKey shows, against stripe-mock, that Stripe
// refusing our credentials is an unknown-outcome error (503 to the caller,
// the payment stays pending for a retry), not a decline nor a rejection.
func TestStripeMockRefusesBadKey(t *testing.T) {
	base := os.Getenv(EnvStripeMock)
	if base == "" {
		t.Skip(EnvStripeMock + " is not set")
	}
	gw, err := NewStripe(StripeConfig{SecretKey: "not-a-stripe-key", APIBase: base})
	if err != nil {
		t.Fatal(err)
	}
	res, err := gw.Charge(context.Background(), ChargeRequest{Amount: usd(100), Method: "pm_card_visa", IdempotencyKey: "k"})
	if err == nil || errors.Is(err, errInvalidMethod) || errors.Is(err, errRejected) {
		t.Fatalf("Charge with a bad key = %+v, %v; want an unknown-outcome error", res, err)
	}
	_, err = gw.Refund(context.Background(), RefundRequest{Ref: "pi_1", Amount: usd(100), IdempotencyKey: "rk"})
	if err == nil || errors.Is(err, errRejected) {
		t.Fatalf("Refund with a bad key = %v; want an unknown-outcome error", err)
	}
}

func TestStripeConfigValidate(t *testing.T) {
	for _, c := range []StripeConfig{{}, {SecretKey: "sk", APIBase: "ftp://x"}, {SecretKey: "sk", APIBase: "localhost:1"}} {
		if _, err := NewStripe(c); err == nil {
			t.Errorf("NewStripe(%+v) succeeded", c)
		}
	}
}

package payment

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// EnvStripeMock names a running stripe-mock (.ci/run starts one).
const EnvStripeMock = "OPENHOUSE_TEST_STRIPE_MOCK_URL"

// gatewayUnderTest is one Gateway implementation for the contract suite.
type gatewayUnderTest struct {
	gw Gateway
	// canned is set for stripe-mock: it validates requests against
	// Stripe's OpenAPI spec but answers every valid request with the same
	// fixture (status requires_payment_method, a fresh random id) and keeps
	// no state. So the outcome of a token, idempotent replays and refund
	// limits cannot be observed there; the suite checks instead what was
	// sent (requests) and how answers and errors are mapped.
	canned bool
	// requests returns what reached the gateway's API (nil for the
	// sandbox, which has no wire).
	requests func() []sentRequest
	// charges counts the charges the gateway has recorded (nil where it
	// cannot be known).
	charges func() int
}

// sentRequest is one HTTP call the Stripe adapter made.
type sentRequest struct {
	Method, Path   string
	IdempotencyKey string
	Form           url.Values
}

// TestGatewayContract runs the Gateway contract against the sandbox always
// and against the Stripe adapter on stripe-mock when OPENHOUSE_TEST_STRIPE_MOCK_URL is set.
func TestGatewayContract(t *testing.T) {
	t.Run("sandbox", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, open storetest.Opener) {
			runGatewayContract(t, func(t *testing.T) gatewayUnderTest {
				db := open(t, "payment")
				sb, err := NewSandbox(context.Background(), db, clock.NewFake(t0))
				if err != nil {
					t.Fatal(err)
				}
				return gatewayUnderTest{gw: sb, charges: func() int {
					var n int
					if err := db.QueryRow(`SELECT COUNT(*) FROM sandbox_charges`).Scan(&n); err != nil {
						t.Fatal(err)
					}
					return n
				}}
			})
		})
	})
	t.Run("stripe-mock", func(t *testing.T) {
		base := os.Getenv(EnvStripeMock)
		if base == "" {
			t.Skip(EnvStripeMock + " is not set; .ci/run starts stripe-mock and sets it")
		}
		runGatewayContract(t, func(t *testing.T) gatewayUnderTest {
			rec := &recordingTransport{next: http.DefaultTransport}
			gw, err := NewStripe(StripeConfig{SecretKey: "sk_test_openhouse", APIBase: base,
				HTTPClient: &http.Client{Transport: rec}})
			if err != nil {
				t.Fatal(err)
			}
			return gatewayUnderTest{gw: gw, canned: true, requests: rec.sent}
		})
	})
}

func runGatewayContract(t *testing.T, open func(t *testing.T) gatewayUnderTest) {
	ctx := context.Background()
	charge := func(key, method string, amount int64) ChargeRequest {
		return ChargeRequest{Amount: usd(amount), Method: method, IdempotencyKey: key,
			Description: "openhouse order o-1", Reference: "pay-" + key}
	}

	t.Run("tok_visa is charged", func(t *testing.T) {
		g := open(t)
		res, err := g.gw.Charge(ctx, charge("k-visa", tokenVisa, 2500))
		if err != nil {
			t.Fatalf("Charge = %v", err)
		}
		if res.Ref == "" {
			t.Fatal("no gateway reference")
		}
		if !g.canned && (res.Status != chargeSucceeded || res.DeclineCode != "") {
			t.Fatalf("tok_visa = %+v, want succeeded", res)
		}
		if g.requests != nil {
			// Stripe: a PaymentMethod from the token, then one PaymentIntent
			// created and confirmed, under the caller's key.
			sent := g.requests()
			if len(sent) != 2 {
				t.Fatalf("sent %d requests, want 2: %+v", len(sent), sent)
			}
			pm, pi := sent[0], sent[1]
			if pm.Method != "POST" || pm.Path != "/v1/payment_methods" || pm.Form.Get("type") != "card" ||
				pm.Form.Get("card[token]") != tokenVisa || pm.IdempotencyKey != "k-visa-payment-method" {
				t.Fatalf("payment method request = %+v", pm)
			}
			want := map[string]string{"amount": "2500", "currency": "usd", "confirm": "true",
				"payment_method_types[0]": "card", "description": "openhouse order o-1",
				"metadata[openhouse_payment_id]": "pay-k-visa"}
			if pi.Method != "POST" || pi.Path != "/v1/payment_intents" || pi.IdempotencyKey != "k-visa" {
				t.Fatalf("payment intent request = %+v", pi)
			}
			for k, v := range want {
				if got := pi.Form.Get(k); got != v {
					t.Errorf("payment intent %s = %q, want %q (form %v)", k, got, v, pi.Form)
				}
			}
			if !strings.HasPrefix(pi.Form.Get("payment_method"), "pm_") {
				t.Errorf("payment intent payment_method = %q, want the created pm_ id", pi.Form.Get("payment_method"))
			}
		}
	})

	t.Run("tok_chargeDeclined is declined", func(t *testing.T) {
		g := open(t)
		res, err := g.gw.Charge(ctx, charge("k-declined", tokenDeclined, 2500))
		if err != nil {
			t.Fatalf("Charge = %v", err)
		}
		// stripe-mock answers every PaymentIntent with the fixture's
		// requires_payment_method, which the adapter maps to declined; the
		// decline code is the fixture's, not card_declined.
		if res.Status != chargeDeclined || (!g.canned && res.DeclineCode != "card_declined") {
			t.Fatalf("tok_chargeDeclined = %+v, want declined with card_declined", res)
		}
	})

	t.Run("an unknown method is ErrInvalidMethod and charges nothing", func(t *testing.T) {
		g := open(t)
		for _, m := range []string{"not-a-token", "4242424242424242"} {
			_, err := g.gw.Charge(ctx, charge("k-bad-"+m, m, 2500))
			if !errors.Is(err, errInvalidMethod) {
				t.Fatalf("Charge(%s) = %v, want ErrInvalidMethod", m, err)
			}
		}
		if !g.canned {
			// stripe-mock accepts any tok_ string; real Stripe answers
			// resource_missing, mapped to ErrInvalidMethod (stripe_test.go).
			if _, err := g.gw.Charge(ctx, charge("k-unknown", "tok_unknown", 2500)); !errors.Is(err, errInvalidMethod) {
				t.Fatalf("Charge(tok_unknown) = %v, want ErrInvalidMethod", err)
			}
		}
		if g.charges != nil && g.charges() != 0 {
			t.Fatalf("%d charges recorded", g.charges())
		}
		if g.requests != nil && len(g.requests()) != 0 {
			t.Fatalf("the adapter called Stripe for a method it cannot send: %+v", g.requests())
		}
	})

	t.Run("a repeated key charges once and answers the same", func(t *testing.T) {
		g := open(t)
		req := charge("k-repeat", tokenVisa, 1200)
		const n = 8
		results := make([]ChargeResult, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = g.gw.Charge(ctx, req)
			}()
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("call %d: %v", i, errs[i])
			}
			// stripe-mock keeps no state: each answer is a fresh fixture.
			if !g.canned && results[i] != results[0] {
				t.Fatalf("call %d = %+v, call 0 = %+v", i, results[i], results[0])
			}
		}
		if g.charges != nil && g.charges() != 1 {
			t.Fatalf("%d charges recorded, want 1", g.charges())
		}
		if g.requests != nil {
			for _, r := range g.requests() {
				if r.Path == "/v1/payment_intents" && r.IdempotencyKey != "k-repeat" {
					t.Fatalf("a repeat was sent with Idempotency-Key %q", r.IdempotencyKey)
				}
			}
		}
	})

	t.Run("a key reused with other parameters is ErrRejected", func(t *testing.T) {
		g := open(t)
		if g.canned {
			t.Skip("stripe-mock keeps no idempotency state; Stripe's idempotency_error is mapped in stripe_test.go")
		}
		if _, err := g.gw.Charge(ctx, charge("k-reuse", tokenVisa, 1000)); err != nil {
			t.Fatal(err)
		}
		if _, err := g.gw.Charge(ctx, charge("k-reuse", tokenVisa, 1001)); !errors.Is(err, errRejected) {
			t.Fatalf("reused key = %v, want ErrRejected", err)
		}
	})

	t.Run("refunds", func(t *testing.T) {
		g := open(t)
		res, err := g.gw.Charge(ctx, charge("k-refund", tokenVisa, 1000))
		if err != nil {
			t.Fatal(err)
		}
		refund := func(key string, amount int64) (RefundResult, error) {
			return g.gw.Refund(ctx, RefundRequest{Ref: res.Ref, Amount: usd(amount), IdempotencyKey: key})
		}
		first, err := refund("r-1", 400)
		if err != nil || first.Ref == "" {
			t.Fatalf("Refund = %+v, %v", first, err)
		}
		if g.requests != nil {
			sent := g.requests()
			last := sent[len(sent)-1]
			if last.Method != "POST" || last.Path != "/v1/refunds" || last.IdempotencyKey != "r-1" ||
				last.Form.Get("payment_intent") != res.Ref || last.Form.Get("amount") != "400" {
				t.Fatalf("refund request = %+v", last)
			}
		}
		if g.canned {
			return // limits and replays need state stripe-mock does not keep
		}
		again, err := refund("r-1", 400)
		if err != nil || again != first {
			t.Fatalf("repeated refund = %+v, %v; want %+v", again, err, first)
		}
		if _, err := refund("r-2", 601); !errors.Is(err, errRejected) {
			t.Fatalf("refund over what is left = %v, want ErrRejected", err)
		}
		if _, err := refund("r-3", 600); err != nil {
			t.Fatalf("refund of the rest = %v", err)
		}
		if _, err := refund("r-4", 1); !errors.Is(err, errRejected) {
			t.Fatalf("refund of a fully refunded charge = %v, want ErrRejected", err)
		}
		if _, err := g.gw.Refund(ctx, RefundRequest{Ref: "no-such-charge", Amount: usd(1), IdempotencyKey: "r-5"}); !errors.Is(err, errRejected) {
			t.Fatalf("refund of an unknown charge = %v, want ErrRejected", err)
		}
		declined, err := g.gw.Charge(ctx, charge("k-declined-refund", tokenDeclined, 1000))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.gw.Refund(ctx, RefundRequest{Ref: declined.Ref, Amount: usd(1), IdempotencyKey: "r-6"}); !errors.Is(err, errRejected) {
			t.Fatalf("refund of a declined charge = %v, want ErrRejected", err)
		}
	})

	t.Run("a cancelled call is an error, never a result", func(t *testing.T) {
		g := open(t)
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		res, err := g.gw.Charge(cancelled, charge("k-cancel", tokenVisa, 1000))
		if err == nil || errors.Is(err, errInvalidMethod) || errors.Is(err, errRejected) {
			t.Fatalf("Charge with a cancelled context = %+v, %v; want an unknown-outcome error", res, err)
		}
	})
}

// recordingTransport keeps what the Stripe adapter sends.
type recordingTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []sentRequest
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	rt.reqs = append(rt.reqs, sentRequest{Method: r.Method, Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key"), Form: form})
	rt.mu.Unlock()
	return rt.next.RoundTrip(r)
}

func (rt *recordingTransport) sent() []sentRequest {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]sentRequest(nil), rt.reqs...)
}

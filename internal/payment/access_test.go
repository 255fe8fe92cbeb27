package payment

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestAccessMatrix is every payment route x every kind of caller x own and
// another's payment. Denials are problems that say nothing about the
// payment: not its id, not its customer, not its amount.
func TestAccessMatrix(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	own := h.paid(customer.ID, 5000)    // cust-1's
	other := h.paid(customer2.ID, 7000) // cust-2's

	// A token from an issuer this service does not trust.
	stranger, err := auth.NewIssuer(context.Background(), auth.NewMemoryKeyStore(), auth.IssuerConfig{Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := stranger.Issue(admin)
	if err != nil {
		t.Fatal(err)
	}

	type caller struct {
		name  string
		p     *auth.Principal
		token string // overrides p
	}
	callers := []caller{
		{"anonymous", nil, ""},
		{"forged admin token", nil, forged},
		{"customer", &customer, ""},
		{"provider", &provider, ""},
		{"realtor", &realtor, ""},
		{"admin", &admin, ""},
		{"cart service", &cartSvc, ""},
		{"tour service", &tourSvc, ""},
	}
	type route struct {
		name, method, path string
		body               func() string
		key                bool
		want               map[string]int // by caller name; missing = 403
	}
	authn := map[string]int{"anonymous": 401, "forged admin token": 401}
	with := func(extra map[string]int) map[string]int {
		out := map[string]int{}
		for k, v := range authn {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	routes := []route{
		{"create", "POST", "/payments", func() string { return chargeBody("order-"+randomID(), customer.ID, 100, tokenVisa) }, true,
			with(map[string]int{"cart service": 201})},
		{"list", "GET", "/payments", nil, false, with(map[string]int{"admin": 200})},
		{"get own", "GET", "/payments/" + own.ID, nil, false, with(map[string]int{"admin": 200, "customer": 200})},
		{"get another's", "GET", "/payments/" + other.ID, nil, false, with(map[string]int{"admin": 200, "customer": 404})},
		{"get unknown", "GET", "/payments/no-such-payment", nil, false, with(map[string]int{"admin": 404, "customer": 404})},
		{"refund own", "POST", "/payments/" + own.ID + "/refund", func() string { return `{"amount":{"amount":1,"currency":"USD"}}` }, false,
			with(map[string]int{"admin": 200, "tour service": 200})},
		{"refund another's", "POST", "/payments/" + other.ID + "/refund", func() string { return `{"amount":{"amount":1,"currency":"USD"}}` }, false,
			with(map[string]int{"admin": 200, "tour service": 200})},
	}
	secrets := []string{other.ID, customer2.ID, "7000"}
	for _, rt := range routes {
		for _, c := range callers {
			t.Run(rt.name+"/"+c.name, func(t *testing.T) {
				want, ok := rt.want[c.name]
				if !ok {
					want = http.StatusForbidden
				}
				body := ""
				if rt.body != nil {
					body = rt.body()
				}
				var header []string
				if rt.key {
					header = append(header, "Idempotency-Key", "k-"+randomID())
				}
				if c.token != "" {
					header = append(header, "Authorization", "Bearer "+c.token)
				}
				rec := h.do(c.p, rt.method, rt.path, body, header...)
				if rec.Code != want {
					t.Fatalf("%s %s as %s = %d, want %d: %s", rt.method, rt.path, c.name, rec.Code, want, rec.Body)
				}
				if want >= 400 {
					readProblem(t, rec, want)
					for _, s := range secrets {
						if strings.Contains(rec.Body.String(), s) && !strings.Contains(rt.path, s) {
							t.Fatalf("a %d answer leaks %q: %s", want, s, rec.Body)
						}
					}
					if strings.Contains(rt.path, other.ID) && c.p != nil && c.p.ID == customer.ID {
						// Another's payment looks exactly like no payment.
						unknown := h.do(c.p, rt.method, strings.Replace(rt.path, other.ID, "no-such-payment", 1), body, header...)
						if unknown.Code != rec.Code || strings.ReplaceAll(rec.Body.String(), other.ID, "X") != strings.ReplaceAll(unknown.Body.String(), "no-such-payment", "X") {
							t.Fatalf("another's payment: %d %s\nunknown payment: %d %s", rec.Code, rec.Body, unknown.Code, unknown.Body)
						}
					}
				}
				if rt.name == "get own" && want == 200 {
					if v := decode[view](t, rec); v.ID != own.ID || v.CustomerID != customer.ID {
						t.Fatalf("got %+v", v)
					}
				}
			})
		}
	}
	// Only the allowed refunds happened: admin and tour, once per payment.
	if n := h.count(`SELECT COUNT(*) FROM refunds WHERE status = 'succeeded'`); n != 4 {
		t.Fatalf("%d refunds recorded, want 4 (admin and tour on two payments)", n)
	}
	if n := h.count(`SELECT COUNT(*) FROM payments`); n != 3 {
		t.Fatalf("%d payments, want 3 (two set up, one by the cart)", n)
	}
}

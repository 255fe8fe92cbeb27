package cart_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/cart"
	"github.com/openhouse/openhouse/internal/platform/apidoc/apidoctest"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/auth/authtest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestAccessMatrix checks every cart endpoint for every kind of caller,
// and that a customer never reaches another customer's cart.
func TestAccessMatrix(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		f := newFixture(t, open)
		srv, issuer := authtest.Serve(t, f.svc.Routes(), f.clock)
		token := func(p auth.Principal) string {
			tok, _, err := issuer.Issue(p)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		callers := map[string]string{
			"anonymous": "",
			"customer":  token(auth.Principal{ID: "cust-a", Role: auth.RoleCustomer}),
			"provider":  token(auth.Principal{ID: "prov", Role: auth.RoleProvider}),
			"realtor":   token(auth.Principal{ID: "real", Role: auth.RoleRealtor}),
			"admin":     token(auth.Principal{ID: "adm", Role: auth.RoleAdmin}),
			"service":   token(auth.ServicePrincipal("payment")),
		}
		// Another customer's cart holds the Evanston home.
		if _, err := f.svc.Add(context.Background(), "cust-b", "evanston"); err != nil {
			t.Fatal(err)
		}
		do := func(method, path, tok, body string, hdr map[string]string) (int, string) {
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			resp, err := apidoctest.Client(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(raw)
		}
		customerOnly := func(ok int) map[string]int {
			return map[string]int{"anonymous": 401, "customer": ok, "provider": 403, "realtor": 403, "admin": 403, "service": 403}
		}
		checkout := `{"scheduled_at":"` + tomorrowAt10().Format(time.RFC3339) + `","payment_method":"tok_visa"}`
		cases := []struct {
			name, method, path, body string
			hdr                      map[string]string
			want                     map[string]int
		}{
			{"read cart", "GET", "/cart", "", nil, customerOnly(200)},
			{"add item", "POST", "/cart/items", `{"listing_id":"loop"}`, nil, customerOnly(200)},
			{"remove another customer's item", "DELETE", "/cart/items/evanston", "", nil, customerOnly(404)},
			{"checkout", "POST", "/cart/checkout", checkout, map[string]string{"Idempotency-Key": "matrix-1"}, customerOnly(201)},
			{"list carts", "GET", "/carts", "", nil,
				map[string]int{"anonymous": 401, "customer": 403, "provider": 403, "realtor": 403, "admin": 200, "service": 403}},
		}
		for _, c := range cases {
			for who, tok := range callers {
				t.Run(c.name+"/"+who, func(t *testing.T) {
					status, body := do(c.method, c.path, tok, c.body, c.hdr)
					if status != c.want[who] {
						t.Fatalf("%s %s as %s = %d %s, want %d", c.method, c.path, who, status, body, c.want[who])
					}
					if who != "admin" && strings.Contains(body, "cust-b") {
						t.Fatalf("another customer's cart leaked: %s", body)
					}
				})
			}
		}
		if c, _ := f.svc.Cart(context.Background(), "cust-b"); len(c.Items) != 1 {
			t.Fatalf("the other customer's cart changed: %v", c.Items)
		}
		// Bad input: 4xx problems, nothing changes. (Past RecentOrder, so
		// that the emptied cart is answered as empty, not as a repeat.)
		f.clock.Advance(cart.RecentOrder + time.Second)
		tok := callers["customer"]
		for name, tc := range map[string]struct {
			method, path, body string
			hdr                map[string]string
			want               int
		}{
			"malformed":        {"POST", "/cart/items", `{"listing_id":`, nil, 400},
			"wrong type":       {"POST", "/cart/items", `{"listing_id":7}`, nil, 400},
			"unknown field":    {"POST", "/cart/items", `{"listing_id":"loop","price":1}`, nil, 400},
			"unknown listing":  {"POST", "/cart/items", `{"listing_id":"' OR 1=1 --"}`, nil, 422},
			"huge id":          {"POST", "/cart/items", `{"listing_id":"` + strings.Repeat("x", 100000) + `"}`, nil, 422},
			"no key":           {"POST", "/cart/checkout", checkout, nil, 400},
			"bad time":         {"POST", "/cart/checkout", `{"scheduled_at":"tomorrow","payment_method":"tok_visa"}`, map[string]string{"Idempotency-Key": "k9"}, 400},
			"no method":        {"POST", "/cart/checkout", `{"scheduled_at":"` + tomorrowAt10().Format(time.RFC3339) + `"}`, map[string]string{"Idempotency-Key": "k9"}, 422},
			"empty cart":       {"POST", "/cart/checkout", checkout, map[string]string{"Idempotency-Key": "k10"}, 422},
			"not in cart":      {"DELETE", "/cart/items/nope", "", nil, 404},
			"page limit range": {"GET", "/carts?limit=1000", "", nil, 403},
		} {
			status, body := do(tc.method, tc.path, tok, tc.body, tc.hdr)
			if status != tc.want || !strings.Contains(body, `"status"`) {
				t.Errorf("%s: %d %s, want %d problem", name, status, body, tc.want)
			}
		}
		if f.ledger.charged() != 1 {
			t.Fatalf("%d charges after the matrix, want 1 (the one checkout)", f.ledger.charged())
		}
	})
}

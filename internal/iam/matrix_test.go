package iam

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestAccessMatrix checks every iam endpoint for every kind of caller,
// against their own account and another user's: the status, and that no
// answer carries another user's data unless an admin asked.
func TestAccessMatrix(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		h := newHarness(t, open)
		admin := h.admin()
		callers := map[string]account{
			"anonymous": {id: "someone"},
			"customer":  h.register(roleCustomer, "customer"),
			"provider":  h.register(roleProvider, "provider"),
			"realtor":   h.register(roleRealtor, "realtor"),
			"admin":     admin,
		}
		svcToken, _, err := h.svc.Issuer().Issue(auth.ServicePrincipal("cart"))
		if err != nil {
			t.Fatal(err)
		}
		callers["service"] = account{id: "service:cart", token: svcToken}
		victim := h.register(roleCustomer, "victim")

		type expect map[string]int // caller -> status
		users := expect{"anonymous": 401, "customer": 200, "provider": 200, "realtor": 200, "admin": 200, "service": 403}
		adminOnly := expect{"anonymous": 401, "customer": 403, "provider": 403, "realtor": 403, "admin": 200, "service": 403}
		cases := []struct {
			name   string
			method string
			path   func(self account) string
			body   func(self account) any
			want   expect
			// others says the answer may mention the victim (admin reads).
			others map[string]bool
		}{
			{"read me", "GET", fixed("/iam/me"), nil, users, nil},
			{"rename me", "PATCH", fixed("/iam/me"), func(account) any { return map[string]string{"name": "Renamed"} }, users, nil},
			{"read self", "GET", func(a account) string { return "/iam/users/" + a.id }, nil,
				expect{"anonymous": 401, "customer": 200, "provider": 200, "realtor": 200, "admin": 200, "service": 403}, nil},
			{"read another user", "GET", fixed("/iam/users/" + victim.id), nil,
				expect{"anonymous": 401, "customer": 404, "provider": 404, "realtor": 404, "admin": 200, "service": 403}, map[string]bool{"admin": true}},
			{"read an unknown user", "GET", fixed("/iam/users/no-such-id"), nil,
				expect{"anonymous": 401, "customer": 404, "provider": 404, "realtor": 404, "admin": 404, "service": 403}, nil},
			{"list users", "GET", fixed("/iam/users"), nil, adminOnly, map[string]bool{"admin": true}},
			{"verify another user", "PATCH", fixed("/iam/users/" + victim.id), func(account) any { return map[string]any{"status": "active"} },
				adminOnly, map[string]bool{"admin": true}},
			{"verify self", "PATCH", func(a account) string { return "/iam/users/" + a.id }, func(account) any { return map[string]any{"verified": true} },
				expect{"anonymous": 401, "customer": 403, "provider": 403, "realtor": 403, "admin": 200, "service": 403}, nil},
			{"rotate keys", "POST", fixed("/iam/keys/rotate"), nil, adminOnly, nil},
			{"jwks", "GET", fixed("/.well-known/jwks.json"), nil,
				expect{"anonymous": 200, "customer": 200, "provider": 200, "realtor": 200, "admin": 200, "service": 200}, nil},
			{"register", "POST", fixed("/iam/register"), func(a account) any {
				return map[string]string{"email": "new-" + strings.ReplaceAll(a.id, ":", "") + "x@example.com", "password": "a new passphrase", "name": "N", "role": "customer"}
			}, expect{"anonymous": 201, "customer": 201, "provider": 201, "realtor": 201, "admin": 201, "service": 201}, nil},
		}
		for _, c := range cases {
			for who, a := range callers {
				t.Run(c.name+"/"+who, func(t *testing.T) {
					var body any
					if c.body != nil {
						body = c.body(a)
					}
					resp := h.do(c.method, c.path(a), a.token, body)
					if resp.status != c.want[who] {
						t.Fatalf("%s %s as %s = %d %s, want %d", c.method, c.path(a), who, resp.status, resp.body, c.want[who])
					}
					// The problem's instance echoes the caller's own request path;
					// everything else must not mention the victim.
					if seen := strip(resp.body); !c.others[who] && (strings.Contains(seen, victim.email) || strings.Contains(seen, victim.id)) {
						t.Fatalf("the answer leaks the other user's data: %s", resp.body)
					}
					if resp.status >= 400 && resp.header.Get("Content-Type") != "application/problem+json" {
						t.Fatalf("error without problem+json: %q", resp.header.Get("Content-Type"))
					}
				})
			}
		}
		// The victim's account is exactly as it was, but for the admin's no-op.
		u, err := h.store.UserByID(context.Background(), victim.id)
		if err != nil || u.Name != "victim" || u.Status != statusActive {
			t.Fatalf("victim after the matrix = %+v, %v", u, err)
		}
		if resp := h.do("GET", "/iam/me", victim.token, nil); resp.status != http.StatusOK {
			t.Fatal(resp.status)
		}
	})
}

func fixed(path string) func(account) string { return func(account) string { return path } }

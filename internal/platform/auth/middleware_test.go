package auth_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

func TestMiddleware(t *testing.T) {
	f := newFixture(t)
	whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.PrincipalFrom(r.Context())
		if !ok {
			fmt.Fprint(w, "anonymous")
			return
		}
		fmt.Fprintf(w, "%s/%s/%s", p.ID, p.Role, p.Service)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /public", whoami)
	mux.Handle("GET /admin", auth.Require(auth.Users(auth.RoleAdmin), whoami))
	mux.Handle("GET /me", auth.RequireFunc(auth.AnyUser(), whoami))
	mux.Handle("POST /payments", auth.Require(auth.Services("cart"), whoami))
	mux.Handle("GET /availability", auth.Require(auth.Rule{Roles: []auth.Role{auth.RoleAdmin}, Services: []string{"tour", "cart"}}, whoami))
	mux.Handle("GET /service-role", auth.Require(auth.Users(auth.RoleService), whoami))
	h := httpapi.Chain(mux, auth.Authenticate(f.verifier(nil)))

	bearer := func(p auth.Principal) string { return "Bearer " + f.issue(t, p) }
	customer := bearer(auth.Principal{ID: "c1", Role: auth.RoleCustomer})
	admin := bearer(auth.Principal{ID: "a1", Role: auth.RoleAdmin})
	cart := bearer(auth.ServicePrincipal("cart"))
	tour := bearer(auth.ServicePrincipal("tour"))
	forged := "Bearer " + tamper(t, f.issue(t, auth.Principal{ID: "c1", Role: auth.RoleCustomer}))

	tests := []struct {
		name, method, path, authz string
		status                    int
		body                      string // for 200s
	}{
		{"anonymous on a public route", "GET", "/public", "", 200, "anonymous"},
		{"anonymous on a protected route", "GET", "/admin", "", 401, ""},
		{"anonymous where a service must call", "POST", "/payments", "", 401, ""},
		{"invalid token even on a public route", "GET", "/public", forged, 401, ""},
		{"empty bearer token", "GET", "/public", "Bearer ", 401, ""},
		{"garbage bearer token", "GET", "/me", "Bearer abc", 401, ""},
		{"other scheme stays anonymous", "GET", "/public", "Basic Y2FydDpzZWNyZXQ=", 200, "anonymous"},
		{"other scheme is not authentication", "GET", "/me", "Basic Y2FydDpzZWNyZXQ=", 401, ""},
		{"valid token on a public route", "GET", "/public", customer, 200, "c1/customer/"},
		{"scheme in lower case", "GET", "/me", "bearer " + customer[len("Bearer "):], 200, "c1/customer/"},
		{"wrong role", "GET", "/admin", customer, 403, ""},
		{"right role", "GET", "/admin", admin, 200, "a1/admin/"},
		{"any user", "GET", "/me", customer, 200, "c1/customer/"},
		{"service where a user must act", "GET", "/me", cart, 403, ""},
		{"service where an admin must act", "GET", "/admin", cart, 403, ""},
		{"user where a service must call", "POST", "/payments", admin, 403, ""},
		{"wrong service", "POST", "/payments", tour, 403, ""},
		{"right service", "POST", "/payments", cart, 200, "service:cart/service/cart"},
		{"mixed rule, user", "GET", "/availability", admin, 200, "a1/admin/"},
		{"mixed rule, service", "GET", "/availability", tour, 200, "service:tour/service/tour"},
		{"mixed rule, other user", "GET", "/availability", customer, 403, ""},
		{"RoleService in Roles admits no service", "GET", "/service-role", cart, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.authz != "" {
				r.Header.Set("Authorization", tt.authz)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if tt.status == 200 {
				if w.Body.String() != tt.body {
					t.Fatalf("body = %q, want %q", w.Body, tt.body)
				}
				return
			}
			if ct := w.Header().Get("Content-Type"); ct != httpapi.ProblemContentType {
				t.Fatalf("Content-Type = %q, want problem+json", ct)
			}
			var p httpapi.Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != tt.status {
				t.Fatalf("problem = %s (%v)", w.Body, err)
			}
			if tt.status == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
}

func TestRuleAllows(t *testing.T) {
	tests := []struct {
		rule auth.Rule
		p    auth.Principal
		want bool
	}{
		{auth.AnyUser(), auth.Principal{ID: "u", Role: auth.RoleRealtor}, true},
		{auth.AnyUser(), auth.ServicePrincipal("cart"), false},
		{auth.Users(auth.RoleAdmin), auth.Principal{ID: "u", Role: auth.RoleCustomer}, false},
		{auth.Services("cart"), auth.ServicePrincipal("cart"), true},
		{auth.Services("cart"), auth.Principal{ID: "x", Role: auth.RoleService}, false},
		{auth.Users(auth.RoleAdmin), auth.Principal{ID: "u", Role: auth.RoleAdmin, Service: "cart"}, false},
		{auth.Users("superuser"), auth.Principal{ID: "u", Role: "superuser"}, false},
	}
	for _, tt := range tests {
		if got := tt.rule.Allows(tt.p); got != tt.want {
			t.Errorf("%+v.Allows(%+v) = %v, want %v", tt.rule, tt.p, got, tt.want)
		}
	}
}

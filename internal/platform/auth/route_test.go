package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/auth"
)

func TestMountRefusesRowsWithoutARule(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	good := auth.Route{Pattern: "GET /fine", Rule: auth.AnyUser(), Owner: auth.Unowned, Handler: ok}
	tests := []struct {
		name string
		row  auth.Route
		want string
	}{
		{"no rule", auth.Route{Pattern: "GET /x", Owner: auth.Unowned, Handler: ok}, "no access rule"},
		{"empty role list", auth.Route{Pattern: "GET /x", Rule: auth.Users(), Owner: auth.Unowned, Handler: ok}, "no access rule"},
		{"no owner", auth.Route{Pattern: "GET /x", Rule: auth.AnyUser(), Handler: ok}, "whose data"},
		{"no handler", auth.Route{Pattern: "GET /x", Rule: auth.AnyUser(), Owner: auth.Unowned}, "no handler"},
		{"no method", auth.Route{Pattern: "/x", Rule: auth.AnyUser(), Owner: auth.Unowned, Handler: ok}, "method and a path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			err := auth.Mount(mux, []auth.Route{good, tt.row})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Mount = %v, want an error about %q", err, tt.want)
			}
			// Nothing was mounted, not even the good row.
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest("GET", "/fine", nil))
			if rec.Code != http.StatusNotFound {
				t.Fatalf("the good row answers %d after a failed Mount", rec.Code)
			}
		})
	}
}

func TestMountPutsTheRuleInFront(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	mux := http.NewServeMux()
	err := auth.Mount(mux, []auth.Route{
		{Pattern: "GET /open", Rule: auth.Public(), Owner: auth.Unowned, Handler: ok},
		{Pattern: "GET /admin", Rule: auth.Users(auth.RoleAdmin), Owner: auth.Unowned, Handler: ok},
	})
	if err != nil {
		t.Fatal(err)
	}
	serve := func(path string, p *auth.Principal) int {
		r := httptest.NewRequest("GET", path, nil)
		if p != nil {
			r = r.WithContext(auth.WithPrincipal(r.Context(), *p))
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		return rec.Code
	}
	customer := &auth.Principal{ID: "c", Role: auth.RoleCustomer}
	admin := &auth.Principal{ID: "a", Role: auth.RoleAdmin}
	for _, c := range []struct {
		path string
		p    *auth.Principal
		want int
	}{
		{"/open", nil, http.StatusTeapot},
		{"/open", customer, http.StatusTeapot},
		{"/admin", nil, http.StatusUnauthorized},
		{"/admin", customer, http.StatusForbidden},
		{"/admin", admin, http.StatusTeapot},
	} {
		if got := serve(c.path, c.p); got != c.want {
			t.Errorf("GET %s as %v = %d, want %d", c.path, c.p, got, c.want)
		}
	}
}

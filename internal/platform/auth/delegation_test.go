package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// TestDelegatedTokenOpensOnlyItsScope: a realtor's token limited to
// answering assignments passes the confirm route and is refused (403) on
// every other route the realtor could call; it names its actor; it cannot
// be issued for a role the scope does not serve.
func TestDelegatedTokenOpensOnlyItsScope(t *testing.T) {
	iss, err := auth.NewIssuer(context.Background(), auth.NewMemoryKeyStore(), auth.IssuerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	p := auth.Principal{ID: "r1", Role: auth.RoleRealtor, Scope: auth.ScopeRespondToAssignment, Actor: "service:notification"}
	tok, ttl, err := iss.IssueDelegated(p, time.Time{}, time.Hour)
	if err != nil || ttl != auth.MaxDelegatedTTL {
		t.Fatalf("IssueDelegated = %v, %s", err, ttl)
	}
	var seen auth.Principal
	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen, _ = auth.PrincipalFrom(r.Context()) })
	if err := auth.Mount(mux, []auth.Route{
		{Pattern: "POST /appointments/{id}/confirm", Rule: auth.Users(auth.RoleRealtor), Owner: auth.OwnedByPath, Handler: ok},
		{Pattern: "PATCH /iam/me", Rule: auth.AnyUser(), Owner: auth.OwnedByCaller, Handler: ok},
	}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.Chain(mux, auth.Authenticate(auth.NewVerifier(iss, auth.VerifierConfig{}))))
	defer srv.Close()
	call := func(method, path string) int {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := call("POST", "/appointments/a1/confirm"); got != 200 || seen != p {
		t.Errorf("confirm = %d as %+v, want 200 as %+v", got, seen, p)
	}
	if got := call("PATCH", "/iam/me"); got != 403 {
		t.Errorf("PATCH /iam/me with a delegated token = %d, want 403", got)
	}
	if _, _, err := iss.IssueDelegated(auth.Principal{ID: "c1", Role: auth.RoleCustomer, Scope: auth.ScopeRespondToAssignment, Actor: "service:notification"}, time.Time{}, time.Minute); err == nil {
		t.Error("a customer's token with the realtors' scope was issued")
	}
}

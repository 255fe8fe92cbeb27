package authtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// Serve serves routes as a service's process does (mounted by their rules,
// behind panic recovery and the bearer check, unknown paths and methods as
// problems) on a loopback test server closed at the test's end. The issuer
// signs the callers' tokens; both it and the verifier read clk, nil meaning
// the real clock.
func Serve(t testing.TB, routes []auth.Route, clk clock.Clock) (*httptest.Server, *auth.Issuer) {
	t.Helper()
	issuer, err := auth.NewIssuer(context.Background(), auth.NewMemoryKeyStore(), auth.IssuerConfig{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	if err := auth.Mount(mux, routes); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.Chain(mux, httpapi.Recover,
		auth.Authenticate(auth.NewVerifier(issuer, auth.VerifierConfig{Clock: clk})), httpapi.MuxErrors))
	t.Cleanup(srv.Close)
	return srv, issuer
}

package auth_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/clock"
)

// BenchmarkVerify measures what every request of every service pays before
// its handler runs: the check of a customer's access token against the
// issuer's key, in process (as the services do with keys from the JWKS
// cache). "first use" is a token the Verifier has not seen (signature,
// JWT parse, claims); "again" is the same token on a later request, which
// the Verifier remembers (verifycache.go). "ed25519" is the signature
// check alone, what the cache saves. "middleware" is a request through
// Authenticate with a remembered token.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	iss, err := auth.NewIssuer(ctx, auth.NewMemoryKeyStore(), auth.IssuerConfig{TTL: ttl, MaxSkew: skew, Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := iss.Issue(auth.Principal{ID: "3f1c2a9e-8d4b-4c1e-9a7f-2b6d5e8c1a90", Role: auth.RoleCustomer})
	if err != nil {
		b.Fatal(err)
	}
	v := auth.NewVerifier(iss, auth.VerifierConfig{MaxSkew: skew, Clock: clk,
		Revoked: func(context.Context, auth.Principal, time.Time) bool { return false }})

	b.Run("first use", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fresh := auth.NewVerifier(iss, auth.VerifierConfig{MaxSkew: skew, Clock: clk}) // nothing remembered
			if _, err := fresh.Verify(ctx, token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("again", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ed25519", func(b *testing.B) {
		pub, err := iss.PublicKey(ctx, iss.CurrentKeyID())
		if err != nil {
			b.Fatal(err)
		}
		dot := strings.LastIndexByte(token, '.')
		sig, err := base64.RawURLEncoding.DecodeString(token[dot+1:])
		if err != nil {
			b.Fatal(err)
		}
		msg := []byte(token[:dot])
		b.ReportAllocs()
		for b.Loop() {
			if !ed25519.Verify(pub, msg, sig) {
				b.Fatal("signature does not verify")
			}
		}
	})
	b.Run("middleware", func(b *testing.B) {
		ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		h := auth.Authenticate(v)(ok)
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest(http.MethodGet, "/tours", nil)
			r.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusNoContent {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}

// BenchmarkRevocations measures what revocation costs a process. "remember"
// is one signed-out session added (a fresh 36-character sid each time): its
// B/op is the memory an entry holds, map growth included. "check" is the
// Revoked call every request makes, against 100,000 remembered sessions and
// 1,000 users' cut-offs.
func BenchmarkRevocations(b *testing.B) {
	clk := clock.NewFake(t0)
	b.Run("remember", func(b *testing.B) {
		r := auth.NewRevocations(clk, skew)
		b.ReportAllocs()
		for b.Loop() {
			r.EndSession(uuid.NewString(), t0)
		}
	})
	b.Run("check", func(b *testing.B) {
		r := auth.NewRevocations(clk, skew)
		for i := range 100_000 {
			r.EndSession(uuid.NewString(), t0)
			if i%100 == 0 {
				r.SetUser(uuid.NewString(), false, t0)
			}
		}
		p := auth.Principal{ID: uuid.NewString(), Role: auth.RoleCustomer, Session: uuid.NewString()}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if r.Revoked(ctx, p, t0) {
				b.Fatal("revoked")
			}
		}
	})
}

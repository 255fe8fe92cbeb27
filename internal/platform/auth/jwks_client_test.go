package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/openhouse/openhouse/internal/platform/auth"
)

// jwksServer serves the fixture issuer's JWKS as iam does, counting hits;
// down makes it answer 503.
type jwksServer struct {
	*httptest.Server
	hits atomic.Int64
	down atomic.Bool
}

func newJWKSServer(t *testing.T, iss *auth.Issuer) *jwksServer {
	s := &jwksServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if r.URL.Path != "/.well-known/jwks.json" {
			http.NotFound(w, r)
			return
		}
		if s.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(iss.PublicKeys())
	}))
	t.Cleanup(s.Close)
	return s
}

func TestJWKSClient(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	srv := newJWKSServer(t, f.issuer)
	v := auth.NewVerifier(auth.NewJWKSClient(srv.URL+"/.well-known/jwks.json", srv.Client(), f.clock),
		auth.VerifierConfig{MaxSkew: skew, Clock: f.clock})
	user := auth.Principal{ID: "u", Role: auth.RoleCustomer}
	hits := func(t *testing.T, want int64) {
		t.Helper()
		if got := srv.hits.Load(); got != want {
			t.Fatalf("JWKS fetched %d times, want %d", got, want)
		}
	}
	verify := func(t *testing.T, tok string) error {
		t.Helper()
		_, err := v.Verify(ctx, tok)
		return err
	}

	oldTok := f.issue(t, user)
	for range 3 {
		if err := verify(t, oldTok); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	}
	hits(t, 1) // fetched once, then served from the cache

	// iam rotates; a token of the new key makes the client refetch.
	f.clock.Advance(time.Minute)
	if err := f.issuer.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	newTok := f.issue(t, user)
	if err := verify(t, newTok); err != nil {
		t.Fatalf("token of the rotated-in key: %v", err)
	}
	hits(t, 2)
	if err := verify(t, oldTok); err != nil {
		t.Fatalf("token of the old key after rotation: %v", err)
	}
	hits(t, 2)

	// Forged kids, many at once: no fetch within the refetch interval...
	forged := func(kid string) string {
		return sign(t, jwt.SigningMethodEdDSA, f.currentKey(t).Private, kid, claims(f.clock.Now()))
	}
	storm := func(t *testing.T) {
		t.Helper()
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				if _, err := v.Verify(ctx, forged("forged-"+string(rune('a'+i%26)))); !errors.Is(err, auth.ErrInvalidToken) {
					t.Errorf("forged kid: %v, want ErrInvalidToken", err)
				}
			})
		}
		wg.Wait()
	}
	storm(t)
	hits(t, 2)
	// ... and at most one per interval after it.
	f.clock.Advance(auth.JWKSRefetchInterval)
	storm(t)
	hits(t, 3)
	storm(t)
	hits(t, 3)

	// Past the old key's retirement (and so past JWKSMaxAge) a lookup
	// refreshes the cache, and the key iam no longer publishes stops
	// verifying here too, even for a token that has not expired.
	f.clock.Advance(ttl + skew)
	stolen := claims(f.clock.Now())
	oldKID := kidOf(t, oldTok)
	if err := verify(t, signEd(t, f.key(t, oldKID), stolen)); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("token of a retired key: %v, want ErrInvalidToken", err)
	}
	hits(t, 4)
	fresh := f.issue(t, user)
	if err := verify(t, fresh); err != nil {
		t.Fatalf("current token: %v", err)
	}
	hits(t, 4)

	// iam down while the cache is stale: the cached keys keep serving, and
	// the failing refresh is not retried within the interval.
	srv.down.Store(true)
	f.clock.Advance(auth.JWKSMaxAge)
	fresh = f.issue(t, user)
	for range 3 {
		if err := verify(t, fresh); err != nil {
			t.Fatalf("with iam down and a stale cache: %v", err)
		}
	}
	hits(t, 5)
}

func TestJWKSClientFirstFetchFails(t *testing.T) {
	f := newFixture(t)
	srv := newJWKSServer(t, f.issuer)
	srv.down.Store(true)
	c := auth.NewJWKSClient(srv.URL+"/.well-known/jwks.json", srv.Client(), f.clock)
	kid := f.issuer.CurrentKeyID()
	if _, err := c.PublicKey(context.Background(), kid); err == nil {
		t.Fatal("PublicKey succeeded with iam down")
	}
	srv.down.Store(false)
	if _, err := c.PublicKey(context.Background(), kid); !errors.Is(err, auth.ErrUnknownKey) {
		t.Fatalf("retry within the interval: %v, want ErrUnknownKey without a fetch", err)
	}
	f.clock.Advance(auth.JWKSRefetchInterval)
	if _, err := c.PublicKey(context.Background(), kid); err != nil {
		t.Fatalf("after the interval: %v", err)
	}
	if got := srv.hits.Load(); got != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", got)
	}
}

func TestJWKSClientSkipsForeignKeys(t *testing.T) {
	f := newFixture(t)
	good := f.issuer.PublicKeys().Keys[0]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{
			map[string]string{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac", "alg": "HS256"},
			map[string]string{"kty": "OKP", "crv": "Ed25519", "x": good.X, "kid": "enc", "use": "enc"},
			map[string]string{"kty": "OKP", "crv": "Ed25519", "x": "short", "kid": "bad-x"},
			good,
		}})
	}))
	defer srv.Close()
	c := auth.NewJWKSClient(srv.URL, srv.Client(), f.clock)
	if _, err := c.PublicKey(context.Background(), good.Kid); err != nil {
		t.Fatalf("good key: %v", err)
	}
	for _, kid := range []string{"hmac", "enc", "bad-x"} {
		if _, err := c.PublicKey(context.Background(), kid); err == nil {
			t.Errorf("kid %s was accepted", kid)
		}
	}
}

func TestJWKSClientHonoursCancellation(t *testing.T) {
	f := newFixture(t)
	srv := newJWKSServer(t, f.issuer)
	c := auth.NewJWKSClient(srv.URL+"/.well-known/jwks.json", srv.Client(), f.clock)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cancel()
	if _, err := c.PublicKey(ctx, f.issuer.CurrentKeyID()); err == nil {
		t.Fatal("PublicKey succeeded with a cancelled context")
	}
}

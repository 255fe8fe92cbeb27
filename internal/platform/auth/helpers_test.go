package auth_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/clock"
)

// t0 is a whole second, so NumericDate truncation never shifts a boundary.
var t0 = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	ttl  = 15 * time.Minute
	skew = 30 * time.Second
)

type fixture struct {
	clock  *clock.Fake
	store  *auth.MemoryKeyStore
	issuer *auth.Issuer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clock: clock.NewFake(t0), store: auth.NewMemoryKeyStore()}
	iss, err := auth.NewIssuer(context.Background(), f.store, auth.IssuerConfig{TTL: ttl, MaxSkew: skew, Clock: f.clock})
	if err != nil {
		t.Fatalf("NewIssuer: %v", err)
	}
	f.issuer = iss
	return f
}

// verifier verifies against the issuer in process, with the defaults iam
// and services share.
func (f *fixture) verifier(revoked func(context.Context, auth.Principal, time.Time) bool) *auth.Verifier {
	return auth.NewVerifier(f.issuer, auth.VerifierConfig{MaxSkew: skew, Clock: f.clock, Revoked: revoked})
}

func (f *fixture) issue(t *testing.T, p auth.Principal) string {
	t.Helper()
	tok, _, err := f.issuer.Issue(p)
	if err != nil {
		t.Fatalf("Issue(%+v): %v", p, err)
	}
	return tok
}

// currentKey is the issuer's current signing key, read from the store as an
// attacker who stole an old key, or a test forging claims, would have it.
func (f *fixture) currentKey(t *testing.T) auth.Key {
	t.Helper()
	return f.key(t, f.issuer.CurrentKeyID())
}

func (f *fixture) key(t *testing.T, id string) auth.Key {
	t.Helper()
	keys, err := f.store.LoadKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.ID == id {
			return k
		}
	}
	t.Fatalf("key %s not in store", id)
	return auth.Key{}
}

// claims are the claims Issue would write for a customer at now; tests
// change one thing at a time.
func claims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":  auth.DefaultIssuer,
		"aud":  []string{auth.DefaultAudience},
		"sub":  "user-1",
		"role": "customer",
		"iat":  now.Unix(),
		"nbf":  now.Unix(),
		"exp":  now.Add(ttl).Unix(),
		"jti":  "jti-1",
	}
}

// sign builds a token the way an attacker would, with golang-jwt directly.
// kid "" leaves the header without a kid.
func sign(t *testing.T, m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", m.Alg(), err)
	}
	return s
}

func signEd(t *testing.T, k auth.Key, c jwt.MapClaims) string {
	t.Helper()
	return sign(t, jwt.SigningMethodEdDSA, k.Private, k.ID, c)
}

func publicOf(k auth.Key) ed25519.PublicKey { return k.Public() }

func jwkPublicKey(t *testing.T, j auth.JWK) ed25519.PublicKey {
	t.Helper()
	x, err := base64.RawURLEncoding.DecodeString(j.X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		t.Fatalf("JWK x %q: %v", j.X, err)
	}
	return ed25519.PublicKey(x)
}

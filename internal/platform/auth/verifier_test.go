package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/openhouse/openhouse/internal/platform/auth"
)

func TestVerifyAcceptsIssuedTokens(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(nil)
	for _, p := range []auth.Principal{
		{ID: "u-customer", Role: auth.RoleCustomer},
		{ID: "u-provider", Role: auth.RoleProvider},
		{ID: "u-realtor", Role: auth.RoleRealtor},
		{ID: "u-admin", Role: auth.RoleAdmin},
		{ID: "u-signed-in", Role: auth.RoleCustomer, Session: "family-1"},
		auth.ServicePrincipal("cart"),
	} {
		t.Run(string(p.Role)+p.Session, func(t *testing.T) {
			got, err := v.Verify(context.Background(), f.issue(t, p))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got != p {
				t.Fatalf("Verify = %+v, want %+v", got, p)
			}
			if got.IsService() != (p.Role == auth.RoleService) {
				t.Fatalf("IsService = %v", got.IsService())
			}
		})
	}
}

func TestIssueRejectsMalformedPrincipals(t *testing.T) {
	f := newFixture(t)
	for _, p := range []auth.Principal{
		{Role: auth.RoleCustomer},
		{ID: "u", Role: "superuser"},
		{ID: "u", Role: auth.RoleService},
		{ID: "u", Role: auth.RoleAdmin, Service: "cart"},
		{ID: "service:cart", Role: auth.RoleService, Service: "cart", Session: "family-1"},
	} {
		if _, _, err := f.issuer.Issue(p); err == nil {
			t.Errorf("Issue(%+v) succeeded", p)
		}
	}
}

// TestVerifyRejectsAttacks is the list of forged, stale and misdirected
// tokens the issue names; each must fail with ErrInvalidToken.
func TestVerifyRejectsAttacks(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	key := f.currentKey(t)
	pub := publicOf(key)
	jwkX := f.issuer.PublicKeys().Keys[0].X

	_, otherPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	with := func(k string, val any) jwt.MapClaims {
		c := claims(now)
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	suspended := map[string]time.Time{"user-1": now.Add(time.Minute)}
	revoked := func(_ context.Context, p auth.Principal, issuedAt time.Time) bool {
		at, ok := suspended[p.ID]
		return ok && !issuedAt.After(at)
	}

	tests := []struct {
		name   string
		reason string // in the error, so the case cannot pass by failing elsewhere
		token  func(t *testing.T) string
	}{
		{"alg none", "signing method none is invalid", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, key.ID, claims(now))
		}},
		{"HS256 keyed with the raw public key", "signing method HS256 is invalid", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, []byte(pub), key.ID, claims(now))
		}},
		{"HS256 keyed with the JWK x", "signing method HS256 is invalid", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, []byte(jwkX), key.ID, claims(now))
		}},
		{"ES256 with a real kid", "signing method ES256 is invalid", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodES256, ecKey, key.ID, claims(now))
		}},
		{"signed by another Ed25519 key with a real kid", "signature is invalid", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodEdDSA, otherPriv, key.ID, claims(now))
		}},
		{"tampered payload", "signature is invalid", func(t *testing.T) string {
			return tamper(t, f.issue(t, auth.Principal{ID: "user-1", Role: auth.RoleCustomer}))
		}},
		{"tampered signature", "signature is invalid", func(t *testing.T) string {
			tok := f.issue(t, auth.Principal{ID: "user-1", Role: auth.RoleCustomer})
			return tok[:len(tok)-2] + flip(tok[len(tok)-2:])
		}},
		{"expired beyond skew", "expired", func(t *testing.T) string {
			return signEd(t, key, with("exp", now.Add(-skew-time.Second).Unix()))
		}},
		{"not yet valid beyond skew", "not valid yet", func(t *testing.T) string {
			return signEd(t, key, with("nbf", now.Add(skew+time.Second).Unix()))
		}},
		{"issued in the future beyond skew", "used before issued", func(t *testing.T) string {
			return signEd(t, key, with("iat", now.Add(skew+time.Second).Unix()))
		}},
		{"missing exp", "exp claim is required", func(t *testing.T) string { return signEd(t, key, with("exp", nil)) }},
		{"missing iat", "missing iat", func(t *testing.T) string { return signEd(t, key, with("iat", nil)) }},
		{"missing sub", "missing subject", func(t *testing.T) string { return signEd(t, key, with("sub", nil)) }},
		{"wrong aud", "invalid audience", func(t *testing.T) string { return signEd(t, key, with("aud", []string{"elsewhere"})) }},
		{"missing aud", "aud claim is required", func(t *testing.T) string { return signEd(t, key, with("aud", nil)) }},
		{"wrong iss", "invalid issuer", func(t *testing.T) string { return signEd(t, key, with("iss", "evil")) }},
		{"missing iss", "iss claim is required", func(t *testing.T) string { return signEd(t, key, with("iss", nil)) }},
		{"missing kid", "missing kid", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodEdDSA, key.Private, "", claims(now))
		}},
		{"unknown kid", "unknown key", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodEdDSA, key.Private, "forged-kid", claims(now))
		}},
		{"unknown role", "unknown role", func(t *testing.T) string { return signEd(t, key, with("role", "superuser")) }},
		{"missing role", "unknown role", func(t *testing.T) string { return signEd(t, key, with("role", nil)) }},
		{"service token without svc", "service token without svc", func(t *testing.T) string {
			return signEd(t, key, with("role", "service"))
		}},
		{"user token with svc", "user token with svc", func(t *testing.T) string { return signEd(t, key, with("svc", "cart")) }},
		{"service token with sid", "service token with sid", func(t *testing.T) string {
			c := with("role", "service")
			c["svc"], c["sub"], c["sid"] = "cart", "service:cart", "family-1"
			return signEd(t, key, c)
		}},
		{"token of a suspended user, issued before the suspension", "revoked", func(t *testing.T) string {
			return f.issue(t, auth.Principal{ID: "user-1", Role: auth.RoleCustomer})
		}},
		{"not a JWT", "malformed", func(t *testing.T) string { return "not.a.jwt" }},
		{"empty", "malformed", func(t *testing.T) string { return "" }},
		{"huge", "longer than", func(t *testing.T) string { return strings.Repeat("a", 9000) }},
	}
	v := f.verifier(revoked)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.token(t)
			p, err := v.Verify(context.Background(), tok)
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", p, err)
			}
			if p != (auth.Principal{}) {
				t.Fatalf("Verify returned principal %+v with an error", p)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("Verify error %q does not give the reason %q", err, tt.reason)
			}
			if len(tok) > 20 && strings.Contains(err.Error(), tok) {
				t.Fatalf("error echoes the token: %v", err)
			}
		})
	}
}

// TestVerifyRevocation shows a suspension taking effect on the next request:
// the same token verifies before the Revoked callback learns of it and fails
// after, long before it expires.
func TestVerifyRevocation(t *testing.T) {
	f := newFixture(t)
	suspended := map[string]bool{}
	v := f.verifier(func(_ context.Context, p auth.Principal, _ time.Time) bool { return suspended[p.ID] })
	tok := f.issue(t, auth.Principal{ID: "user-1", Role: auth.RoleProvider})
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("before suspension: %v", err)
	}
	suspended["user-1"] = true
	f.clock.Advance(time.Second)
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("after suspension: %v, want ErrInvalidToken", err)
	}
	other := f.issue(t, auth.Principal{ID: "user-2", Role: auth.RoleProvider})
	if _, err := v.Verify(context.Background(), other); err != nil {
		t.Fatalf("another user's token: %v", err)
	}
}

// TestVerifyToleratesSkew accepts tokens that are off by less than MaxSkew,
// as clocks of different machines are.
func TestVerifyToleratesSkew(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	key := f.currentKey(t)
	v := f.verifier(nil)
	inside := skew - time.Second
	tests := []struct {
		name  string
		claim string
		at    time.Time
	}{
		{"expired within skew", "exp", now.Add(-inside)},
		{"not yet valid within skew", "nbf", now.Add(inside)},
		{"issued in the future within skew", "iat", now.Add(inside)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := claims(now)
			c[tt.claim] = tt.at.Unix()
			if _, err := v.Verify(context.Background(), signEd(t, key, c)); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func TestVerifyExpiry(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(nil)
	tok := f.issue(t, auth.Principal{ID: "u", Role: auth.RoleCustomer})
	f.clock.Advance(ttl + skew - time.Second)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("just before exp + skew: %v", err)
	}
	f.clock.Advance(time.Second)
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("at exp + skew: %v, want ErrInvalidToken", err)
	}
}

func TestVerifierConfigValidate(t *testing.T) {
	for _, skew := range []time.Duration{-time.Second, auth.MaxMaxSkew + time.Second} {
		if err := (auth.VerifierConfig{MaxSkew: skew}).Validate(); err == nil || !strings.Contains(err.Error(), "MaxSkew") {
			t.Errorf("MaxSkew %s: Validate = %v, want an error naming MaxSkew", skew, err)
		}
	}
	if err := (auth.VerifierConfig{}).Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// tamper makes the customer token claim the admin role, keeping the
// signature.
func tamper(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(string(payload), `"role":"customer"`, `"role":"admin"`, 1)
	if forged == string(payload) {
		t.Fatalf("payload has no customer role: %s", payload)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(forged))
	return strings.Join(parts, ".")
}

// flip changes s to another base64url string of the same length.
func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

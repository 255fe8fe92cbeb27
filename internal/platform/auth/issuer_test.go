package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/auth/authtest"
	"github.com/openhouse/openhouse/internal/platform/clock"
)

func TestMemoryKeyStoreContract(t *testing.T) {
	authtest.KeyStore(t,
		func(*testing.T) auth.KeyStore { return auth.NewMemoryKeyStore() },
		func(_ *testing.T, s auth.KeyStore) auth.KeyStore { return s })
}

func TestKeyIDIsTheRFC7638Thumbprint(t *testing.T) {
	// RFC 8037 appendix A.3: the thumbprint of its example Ed25519 key.
	jwk := auth.JWK{Kty: "OKP", Crv: "Ed25519", X: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", Kid: "x", Alg: "EdDSA", Use: "sig"}
	pub := jwkPublicKey(t, jwk)
	if got, want := auth.KeyID(pub), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"; got != want {
		t.Fatalf("KeyID = %s, want %s", got, want)
	}
}

func TestRotation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	v := f.verifier(nil)

	oldKey := f.currentKey(t)
	f.clock.Advance(5 * time.Minute)
	oldTok := f.issue(t, auth.Principal{ID: "u", Role: auth.RoleCustomer})
	// A token the old key signed that outlives the key: only key
	// retirement, not exp, can stop it.
	long := claims(f.clock.Now())
	long["exp"] = f.clock.Now().Add(time.Hour).Unix()
	longTok := signEd(t, oldKey, long)

	rotatedAt := f.clock.Now()
	if err := f.issuer.Rotate(ctx); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	newKID := f.issuer.CurrentKeyID()
	if newKID == oldKey.ID {
		t.Fatal("Rotate kept the same key")
	}
	newTok := f.issue(t, auth.Principal{ID: "u", Role: auth.RoleCustomer})
	if got := kidOf(t, newTok); got != newKID {
		t.Fatalf("new token kid = %s, want the new key %s", got, newKID)
	}
	if got := kidOf(t, oldTok); got != oldKey.ID {
		t.Fatalf("old token kid = %s, want %s", got, oldKey.ID)
	}
	retireAt := rotatedAt.Add(ttl + skew)
	if got := f.key(t, oldKey.ID).RetireAt; !got.Equal(retireAt) {
		t.Fatalf("stored RetireAt = %v, want %v", got, retireAt)
	}
	if got := jwksKIDs(f.issuer.PublicKeys()); strings.Join(got, ",") != newKID+","+oldKey.ID {
		t.Fatalf("JWKS after rotation = %v, want [new old]", got)
	}

	f.clock.Set(retireAt.Add(-time.Second))
	for name, tok := range map[string]string{"old": oldTok, "old, long-lived": longTok, "new": newTok} {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("%s token just before the old key retires: %v", name, err)
		}
	}

	f.clock.Set(retireAt)
	for name, tok := range map[string]string{"old": oldTok, "old, long-lived": longTok} {
		if _, err := v.Verify(ctx, tok); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("%s token once the old key retired: %v, want ErrInvalidToken", name, err)
		}
	}
	if _, err := v.Verify(ctx, longTok); !strings.Contains(err.Error(), "unknown key") {
		t.Fatalf("long-lived old token failed for another reason than the retired key: %v", err)
	}
	fresh := f.issue(t, auth.Principal{ID: "u", Role: auth.RoleCustomer})
	if kidOf(t, fresh) != newKID {
		t.Fatalf("token issued after retirement is not signed with the new key")
	}
	if _, err := v.Verify(ctx, fresh); err != nil {
		t.Fatalf("token of the new key: %v", err)
	}
	if got := jwksKIDs(f.issuer.PublicKeys()); len(got) != 1 || got[0] != newKID {
		t.Fatalf("JWKS once the old key retired = %v, want only %s", got, newKID)
	}
}

// TestIssuerKeepsKeysAcrossRestart: a new Issuer on the same store signs
// with the same key, so tokens in flight keep verifying.
func TestIssuerKeepsKeysAcrossRestart(t *testing.T) {
	f := newFixture(t)
	tok := f.issue(t, auth.Principal{ID: "u", Role: auth.RoleAdmin})
	again, err := auth.NewIssuer(context.Background(), f.store, auth.IssuerConfig{TTL: ttl, MaxSkew: skew, Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	if again.CurrentKeyID() != f.issuer.CurrentKeyID() {
		t.Fatalf("restart changed the key: %s -> %s", f.issuer.CurrentKeyID(), again.CurrentKeyID())
	}
	v := auth.NewVerifier(again, auth.VerifierConfig{Clock: f.clock})
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("token from before the restart: %v", err)
	}
	keys, _ := f.store.LoadKeys(context.Background())
	if len(keys) != 1 {
		t.Fatalf("store holds %d keys, want 1", len(keys))
	}
}

// TestIssuerSettlesInterruptedRotation: a rotation that saved its new key but
// died before retiring the old one leaves two current keys; the next start
// keeps the newest and retires the other.
func TestIssuerSettlesInterruptedRotation(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	store := auth.NewMemoryKeyStore()
	older, _ := auth.NewKey(t0.Add(-time.Hour))
	newer, _ := auth.NewKey(t0.Add(-time.Minute))
	for _, k := range []auth.Key{newer, older} {
		if err := store.SaveKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	iss, err := auth.NewIssuer(ctx, store, auth.IssuerConfig{TTL: ttl, MaxSkew: skew, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if iss.CurrentKeyID() != newer.ID {
		t.Fatalf("current key = %s, want the newest %s", iss.CurrentKeyID(), newer.ID)
	}
	keys, _ := store.LoadKeys(ctx)
	for _, k := range keys {
		if k.ID == older.ID && !k.RetireAt.Equal(t0.Add(ttl+skew)) {
			t.Fatalf("older key RetireAt = %v, want %v", k.RetireAt, t0.Add(ttl+skew))
		}
	}
}

func TestIssuerRejectsCorruptKeys(t *testing.T) {
	ctx := context.Background()
	store := auth.NewMemoryKeyStore()
	k, _ := auth.NewKey(t0)
	k.ID = "not-its-thumbprint"
	if err := store.SaveKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.NewIssuer(ctx, store, auth.IssuerConfig{Clock: clock.NewFake(t0)}); err == nil {
		t.Fatal("NewIssuer accepted a key whose id does not match it")
	}
}

func TestIssuerConfigValidate(t *testing.T) {
	tests := []struct {
		cfg     auth.IssuerConfig
		setting string
	}{
		{auth.IssuerConfig{TTL: -time.Minute}, "TTL"},
		{auth.IssuerConfig{TTL: 2 * time.Hour}, "TTL"},
		{auth.IssuerConfig{MaxSkew: time.Hour}, "MaxSkew"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.setting) {
			t.Errorf("Validate(%+v) = %v, want an error naming %s", tt.cfg, err, tt.setting)
		}
		if _, err := auth.NewIssuer(context.Background(), auth.NewMemoryKeyStore(), tt.cfg); err == nil {
			t.Errorf("NewIssuer(%+v) succeeded", tt.cfg)
		}
	}
}

func TestIssueTokenShape(t *testing.T) {
	f := newFixture(t)
	tok, expiresIn, err := f.issuer.Issue(auth.ServicePrincipal("cart"))
	if err != nil {
		t.Fatal(err)
	}
	if expiresIn != ttl {
		t.Fatalf("expiresIn = %s, want %s", expiresIn, ttl)
	}
	c := jwt.MapClaims{}
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, c)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Header["alg"] != "EdDSA" || parsed.Header["kid"] != f.issuer.CurrentKeyID() {
		t.Fatalf("header = %v", parsed.Header)
	}
	now := float64(f.clock.Now().Unix())
	want := map[string]any{
		"iss": "openhouse", "sub": "service:cart", "role": "service", "svc": "cart",
		"iat": now, "nbf": now, "exp": now + ttl.Seconds(),
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("claim %s = %v, want %v", k, c[k], v)
		}
	}
	if aud, _ := c.GetAudience(); len(aud) != 1 || aud[0] != "openhouse" {
		t.Errorf("aud = %v", aud)
	}
	if jti, _ := c["jti"].(string); jti == "" {
		t.Error("no jti")
	}
	user, _, _ := f.issuer.Issue(auth.Principal{ID: "u", Role: auth.RoleRealtor})
	uc := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(user, uc); err != nil {
		t.Fatal(err)
	}
	if _, has := uc["svc"]; has {
		t.Error("user token carries svc")
	}
	if uc["jti"] == c["jti"] {
		t.Error("two tokens share a jti")
	}
}

func TestPublicKeysJSON(t *testing.T) {
	f := newFixture(t)
	b, err := json.Marshal(f.issuer.PublicKeys())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Keys) != 1 {
		t.Fatalf("JWKS = %s (%v)", b, err)
	}
	k := doc.Keys[0]
	want := map[string]string{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": f.issuer.CurrentKeyID()}
	for name, v := range want {
		if k[name] != v {
			t.Errorf("%s = %q, want %q", name, k[name], v)
		}
	}
	if len(k["x"]) != 43 || len(k) != 6 {
		t.Errorf("JWK = %v; want an unpadded 32-byte x and nothing private", k)
	}
}

func kidOf(t *testing.T, tok string) string {
	t.Helper()
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := parsed.Header["kid"].(string)
	return kid
}

func jwksKIDs(set auth.JWKS) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.Kid)
	}
	return out
}

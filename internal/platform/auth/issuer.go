package auth

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/openhouse/openhouse/internal/platform/clock"
)

// IssuerConfig configures an Issuer. Zero fields take the defaults.
type IssuerConfig struct {
	Issuer   string        // iss of every token; default DefaultIssuer
	Audience string        // aud of every token; default DefaultAudience
	TTL      time.Duration // token lifetime; default DefaultTTL, at most MaxTTL
	// MaxSkew must be the verifiers' MaxSkew: a rotated key stays published
	// for TTL + MaxSkew, until the last token it signed can no longer be
	// accepted anywhere. Default DefaultMaxSkew.
	MaxSkew time.Duration
	Clock   clock.Clock // default clock.Real
}

func (c IssuerConfig) withDefaults() IssuerConfig {
	if c.Issuer == "" {
		c.Issuer = DefaultIssuer
	}
	if c.Audience == "" {
		c.Audience = DefaultAudience
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.MaxSkew == 0 {
		c.MaxSkew = DefaultMaxSkew
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	return c
}

// Validate reports the first invalid setting, after defaults are applied.
func (c IssuerConfig) Validate() error {
	c = c.withDefaults()
	if c.TTL < time.Second || c.TTL > MaxTTL {
		return fmt.Errorf("auth: IssuerConfig.TTL is %s; it must be between 1s and %s", c.TTL, MaxTTL)
	}
	return validateSkew("IssuerConfig.MaxSkew", c.MaxSkew)
}

// Issuer signs access tokens with the current key, rotates keys and publishes
// the public keys that verify them. It is also the KeySource of verifiers
// inside iam. All methods are safe for concurrent use.
//
// The Issuer keeps its keys in memory and writes them through to its
// KeyStore. Several iam replicas may share one store, but a key rotated by one
// replica is seen by another only after it calls Reload (or restarts); until
// then the other keeps signing with its current key, which stays valid.
type Issuer struct {
	cfg   IssuerConfig
	store KeyStore

	rotating sync.Mutex // serialises Rotate and Reload; held across store calls

	mu      sync.RWMutex // guards keys and current; never held across store calls
	keys    []Key        // every loaded key, oldest first
	current Key
}

// NewIssuer loads the keys in ks; when none is current it makes one and saves
// it. Keys left current by an interrupted Rotate (more than one with a zero
// RetireAt) are settled: the newest stays current and the others are retired
// as if rotated now.
func NewIssuer(ctx context.Context, ks KeyStore, cfg IssuerConfig) (*Issuer, error) {
	if ks == nil {
		return nil, errors.New("auth: NewIssuer needs a KeyStore")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	iss := &Issuer{cfg: cfg.withDefaults(), store: ks}
	if err := iss.Reload(ctx); err != nil {
		return nil, err
	}
	return iss, nil
}

// Reload re-reads the keys from the KeyStore, settling them as NewIssuer does.
// Replicas of iam call it to pick up a rotation made by another replica.
func (iss *Issuer) Reload(ctx context.Context) error {
	iss.rotating.Lock()
	defer iss.rotating.Unlock()

	keys, err := iss.store.LoadKeys(ctx)
	if err != nil {
		return fmt.Errorf("auth: load signing keys: %w", err)
	}
	for _, k := range keys {
		if err := k.validate(); err != nil {
			return fmt.Errorf("auth: load signing keys: %w", err)
		}
	}
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].CreatedAt.Before(keys[j].CreatedAt) })

	now := iss.cfg.Clock.Now()
	current := -1
	for i := len(keys) - 1; i >= 0; i-- {
		if keys[i].RetireAt.IsZero() {
			current = i
			break
		}
	}
	if current < 0 {
		k, err := NewKey(now)
		if err != nil {
			return fmt.Errorf("auth: %w", err)
		}
		if err := iss.store.SaveKey(ctx, k); err != nil {
			return fmt.Errorf("auth: save first signing key: %w", err)
		}
		keys = append(keys, k)
		current = len(keys) - 1
	}
	for i := range keys {
		if i != current && keys[i].RetireAt.IsZero() {
			at := now.Add(iss.cfg.TTL + iss.cfg.MaxSkew)
			if err := iss.store.RetireKey(ctx, keys[i].ID, at); err != nil {
				return fmt.Errorf("auth: retire superseded signing key %s: %w", keys[i].ID, err)
			}
			keys[i].RetireAt = at
		}
	}

	iss.mu.Lock()
	iss.keys, iss.current = keys, keys[current]
	iss.mu.Unlock()
	return nil
}

// Rotate makes a new current key and schedules the old one for retirement at
// now + TTL + MaxSkew, so every token it signed verifies until it expires.
// The new key is saved before the old one is retired; if Rotate fails, the
// Issuer keeps signing with the old key and Rotate may be retried.
func (iss *Issuer) Rotate(ctx context.Context) error {
	iss.rotating.Lock()
	defer iss.rotating.Unlock()

	iss.mu.RLock()
	old := iss.current
	iss.mu.RUnlock()

	now := iss.cfg.Clock.Now()
	k, err := NewKey(now)
	if err != nil {
		return fmt.Errorf("auth: rotate: %w", err)
	}
	if err := iss.store.SaveKey(ctx, k); err != nil {
		return fmt.Errorf("auth: rotate: save new key: %w", err)
	}
	retireAt := now.Add(iss.cfg.TTL + iss.cfg.MaxSkew)
	if err := iss.store.RetireKey(ctx, old.ID, retireAt); err != nil {
		return fmt.Errorf("auth: rotate: retire key %s: %w", old.ID, err)
	}

	iss.mu.Lock()
	defer iss.mu.Unlock()
	for i := range iss.keys {
		if iss.keys[i].ID == old.ID {
			iss.keys[i].RetireAt = retireAt
		}
	}
	iss.keys = append(iss.keys, k)
	iss.current = k
	return nil
}

// Issue signs an access token for p with the current key. The token carries
// kid in its header and iss, aud, sub (p.ID), role, svc (only for services),
// sid (p.Session, only for users who have one), iat, nbf, exp and a unique
// jti in its payload. expiresIn is the token lifetime, for the expires_in of
// the token response.
//
// p must be well formed: an ID, a known role, a Service exactly when the role
// is RoleService, and no Session for services. Issue does not decide who may
// have a token; iam does.
func (iss *Issuer) Issue(p Principal) (token string, expiresIn time.Duration, err error) {
	return iss.IssueAfter(p, time.Time{})
}

// IssueAfter is Issue for a user whose tokens issued before validFrom are
// void (Revocations.SetUser: the user was suspended or reactivated then). A
// verifier compares validFrom with the token's iat, which counts whole
// seconds (RFC 7519 NumericDate, truncated), so a token issued in validFrom's
// own second would read as issued before it. When now's whole second is
// before validFrom, the token is therefore dated validFrom rounded up to the
// next whole second: iat and nbf at most a second ahead of now, well inside
// every verifier's skew, and exp as far after them as usual.
func (iss *Issuer) IssueAfter(p Principal, validFrom time.Time) (token string, expiresIn time.Duration, err error) {
	return iss.issue(p, validFrom, iss.cfg.TTL)
}

// MaxDelegatedTTL bounds the life of a delegated token: long enough for
// one call, short enough that a leaked one is soon worthless.
const MaxDelegatedTTL = 2 * time.Minute

// IssueDelegated signs a token of the user p limited to p.Scope, acted for
// by p.Actor, valid for ttl (at most MaxDelegatedTTL), dated as IssueAfter
// dates tokens after validFrom.
func (iss *Issuer) IssueDelegated(p Principal, validFrom time.Time, ttl time.Duration) (string, time.Duration, error) {
	if p.Scope == "" {
		return "", 0, fmt.Errorf("auth: issue delegated token: no scope")
	}
	return iss.issue(p, validFrom, min(ttl, MaxDelegatedTTL))
}

func (iss *Issuer) issue(p Principal, validFrom time.Time, ttl time.Duration) (token string, expiresIn time.Duration, err error) {
	if reason := checkPrincipal(p); reason != "" {
		return "", 0, fmt.Errorf("auth: issue token: %s", reason)
	}
	iss.mu.RLock()
	k := iss.current
	iss.mu.RUnlock()

	at := iss.cfg.Clock.Now()
	if at.Truncate(time.Second).Before(validFrom) {
		at = validFrom.Truncate(time.Second)
		if at.Before(validFrom) {
			at = at.Add(time.Second)
		}
	}
	claims := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    iss.cfg.Issuer,
			Subject:   p.ID,
			Audience:  jwt.ClaimStrings{iss.cfg.Audience},
			ExpiresAt: jwt.NewNumericDate(at.Add(ttl)),
			NotBefore: jwt.NewNumericDate(at),
			IssuedAt:  jwt.NewNumericDate(at),
			ID:        uuid.NewString(),
		},
		Role:    p.Role,
		Service: p.Service,
		Session: p.Session,
		Scope:   p.Scope,
	}
	if p.Actor != "" {
		claims.Act = &actClaims{Sub: p.Actor}
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	t.Header["kid"] = k.ID
	signed, err := t.SignedString(k.Private)
	if err != nil {
		return "", 0, fmt.Errorf("auth: sign token: %w", err)
	}
	return signed, ttl, nil
}

// PublicKey returns the public key kid if the Issuer holds it and it is not
// retired; otherwise an error wrapping ErrUnknownKey. It makes the Issuer the
// KeySource of verifiers inside iam.
func (iss *Issuer) PublicKey(_ context.Context, kid string) (ed25519.PublicKey, error) {
	now := iss.cfg.Clock.Now()
	iss.mu.RLock()
	defer iss.mu.RUnlock()
	for _, k := range iss.keys {
		if k.ID == kid && !k.retiredAt(now) {
			return k.Public(), nil
		}
	}
	return nil, ErrUnknownKey
}

// CurrentKeyID is the kid new tokens are signed with.
func (iss *Issuer) CurrentKeyID() string {
	iss.mu.RLock()
	defer iss.mu.RUnlock()
	return iss.current.ID
}

// PublicKeys is the JWK Set iam serves at /.well-known/jwks.json: every key
// not retired at Clock.Now(), the current one first. Verifiers cache it and
// refetch on an unknown kid, so iam may serve it with a short max-age.
func (iss *Issuer) PublicKeys() JWKS {
	now := iss.cfg.Clock.Now()
	iss.mu.RLock()
	defer iss.mu.RUnlock()
	set := JWKS{Keys: []JWK{}}
	for i := len(iss.keys) - 1; i >= 0; i-- {
		if k := iss.keys[i]; !k.retiredAt(now) {
			set.Keys = append(set.Keys, publicJWK(k.ID, k.Public()))
		}
	}
	return set
}

// JWKS is a JSON Web Key Set (RFC 7517 §5).
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// JWK is an Ed25519 public key as an OKP JSON Web Key (RFC 8037 §2).
type JWK struct {
	Kty string `json:"kty"` // "OKP"
	Crv string `json:"crv"` // "Ed25519"
	X   string `json:"x"`   // base64url (unpadded) public key
	Kid string `json:"kid"`
	Alg string `json:"alg"` // "EdDSA"
	Use string `json:"use"` // "sig"
}

func publicJWK(kid string, pub ed25519.PublicKey) JWK {
	return JWK{
		Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub),
		Kid: kid, Alg: "EdDSA", Use: "sig",
	}
}

// publicKey returns the Ed25519 key of j, refusing anything that is not an
// Ed25519 signature key so a JWKS cannot smuggle in another algorithm.
func (j JWK) publicKey() (ed25519.PublicKey, error) {
	switch {
	case j.Kty != "OKP" || j.Crv != "Ed25519":
		return nil, fmt.Errorf("key type %q/%q is not OKP/Ed25519", j.Kty, j.Crv)
	case j.Alg != "" && j.Alg != "EdDSA":
		return nil, fmt.Errorf("alg %q is not EdDSA", j.Alg)
	case j.Use != "" && j.Use != "sig":
		return nil, fmt.Errorf("use %q is not sig", j.Use)
	case j.Kid == "":
		return nil, errors.New("missing kid")
	}
	x, err := base64.RawURLEncoding.DecodeString(j.X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return nil, errors.New("x is not a base64url Ed25519 public key")
	}
	return ed25519.PublicKey(x), nil
}

package auth

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/openhouse/openhouse/internal/platform/clock"
)

// ErrInvalidToken is the one error Verify returns, wrapped with a reason for
// logs. The reason never contains the token. Callers answer 401 whatever the
// reason, so a forger learns nothing from it.
var ErrInvalidToken = errors.New("auth: invalid token")

// maxTokenBytes bounds what Verify will parse; real tokens are ~400 bytes.
const maxTokenBytes = 8 << 10

// KeySource finds the public key that verifies tokens signed under kid.
// An unknown or retired kid is an error (wrapping ErrUnknownKey where the
// source knows it is unknown). Implementations are safe for concurrent use and
// must return only Ed25519 keys. The Issuer is one (inside iam); JWKSClient is
// the other (in every other service).
type KeySource interface {
	PublicKey(ctx context.Context, kid string) (ed25519.PublicKey, error)
}

// VerifierConfig configures a Verifier. Zero fields take the defaults; Issuer
// and Audience must match the IssuerConfig of iam.
type VerifierConfig struct {
	Issuer   string        // expected iss; default DefaultIssuer
	Audience string        // expected aud; default DefaultAudience
	MaxSkew  time.Duration // tolerated clock skew on exp, nbf, iat; default DefaultMaxSkew, at most MaxMaxSkew
	Clock    clock.Clock   // default clock.Real
	// Revoked, if set, is asked about every otherwise valid token, with its
	// caller (Session included) and its iat: true rejects it. Processes wire
	// it to a Revocations fed from iam's events, so the tokens of a session
	// signed out, or of a user suspended, stop working as soon as the event
	// arrives instead of when they expire (at most one TTL later). It is
	// called on every request, so it must be fast and must not block on the
	// network.
	Revoked func(ctx context.Context, p Principal, issuedAt time.Time) bool
}

func (c VerifierConfig) withDefaults() VerifierConfig {
	if c.Issuer == "" {
		c.Issuer = DefaultIssuer
	}
	if c.Audience == "" {
		c.Audience = DefaultAudience
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
func (c VerifierConfig) Validate() error {
	return validateSkew("VerifierConfig.MaxSkew", c.withDefaults().MaxSkew)
}

// Verifier checks access tokens locally. It is safe for concurrent use.
type Verifier struct {
	src    KeySource
	cfg    VerifierConfig
	parser *jwt.Parser
	cache  *verifiedCache
}

// NewVerifier returns a Verifier of tokens whose keys come from src. It
// panics if src is nil or cfg does not Validate: both are programming errors
// that must stop start-up, and callers that take settings from outside call
// cfg.Validate first.
func NewVerifier(src KeySource, cfg VerifierConfig) *Verifier {
	if src == nil {
		panic("auth: NewVerifier needs a KeySource")
	}
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg = cfg.withDefaults()
	return &Verifier{
		src:   src,
		cfg:   cfg,
		cache: newVerifiedCache(),
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(cfg.Audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(cfg.MaxSkew),
			jwt.WithTimeFunc(cfg.Clock.Now),
			jwt.WithStrictDecoding(),
		),
	}
}

// Verify checks token and returns its caller. It accepts only EdDSA tokens
// whose header names a kid the KeySource knows, whose signature verifies with
// that Ed25519 key, whose iss and aud match, whose exp is present and whose
// exp, nbf and iat hold within MaxSkew, whose role is known, whose svc is
// present exactly for service tokens, and which Revoked does not reject.
// Every failure is ErrInvalidToken wrapped with the reason. A token that
// verified before skips the signature check while its time claims hold and
// its key is still offered (see verifiedCache); Revoked is asked every time.
func (v *Verifier) Verify(ctx context.Context, token string) (Principal, error) {
	if len(token) > maxTokenBytes {
		return Principal{}, fmt.Errorf("%w: token is longer than %d bytes", ErrInvalidToken, maxTokenBytes)
	}
	if e, ok := v.cache.get(token); ok && e.holdsAt(v.cfg.Clock.Now()) {
		if pub, err := v.src.PublicKey(ctx, e.kid); err == nil && pub.Equal(e.key) {
			return v.notRevoked(ctx, e.principal, e.issuedAt)
		}
	}
	var (
		c   tokenClaims
		kid string
		pub ed25519.PublicKey
	)
	_, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		k, err := v.key(ctx, t)
		if err == nil {
			kid, _ = t.Header["kid"].(string)
			pub = k.(ed25519.PublicKey)
		}
		return k, err
	})
	if err != nil {
		// %v, not %w: callers branch on ErrInvalidToken only.
		return Principal{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	if c.IssuedAt == nil {
		return Principal{}, fmt.Errorf("%w: missing iat", ErrInvalidToken)
	}
	p := Principal{ID: c.Subject, Role: c.Role, Service: c.Service, Session: c.Session, Scope: c.Scope}
	if c.Act != nil {
		p.Actor = c.Act.Sub
	}
	if reason := checkPrincipal(p); reason != "" {
		return Principal{}, fmt.Errorf("%w: %s", ErrInvalidToken, reason)
	}
	from := c.IssuedAt.Time
	if c.NotBefore != nil && c.NotBefore.After(from) {
		from = c.NotBefore.Time
	}
	v.cache.put(token, verifiedToken{principal: p, issuedAt: c.IssuedAt.Time, kid: kid, key: pub,
		from: from.Add(-v.cfg.MaxSkew), until: c.ExpiresAt.Add(v.cfg.MaxSkew)})
	return v.notRevoked(ctx, p, c.IssuedAt.Time)
}

// notRevoked returns p unless Revoked rejects its token.
func (v *Verifier) notRevoked(ctx context.Context, p Principal, issuedAt time.Time) (Principal, error) {
	if v.cfg.Revoked != nil && v.cfg.Revoked(ctx, p, issuedAt) {
		return Principal{}, fmt.Errorf("%w: revoked", ErrInvalidToken)
	}
	return p, nil
}

// key is the jwt.Keyfunc. It insists on EdDSA and a kid, and hands back only
// an ed25519.PublicKey: a token claiming HS256 keyed with the public key, or
// alg "none", can therefore never verify, even if the method allow-list
// were lifted.
func (v *Verifier) key(ctx context.Context, t *jwt.Token) (any, error) {
	if _, ok := t.Method.(*jwt.SigningMethodEd25519); !ok {
		return nil, errors.New("signing method is not EdDSA")
	}
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		return nil, errors.New("missing kid")
	}
	pub, err := v.src.PublicKey(ctx, kid)
	if err != nil {
		return nil, fmt.Errorf("key lookup: %w", err)
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("key source returned a malformed key")
	}
	return pub, nil
}

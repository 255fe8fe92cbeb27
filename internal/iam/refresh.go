package iam

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// Refresh tokens keep a browser user signed in past the access token's
// 15 minutes without the password (RFC 6749 section 6), the way the OAuth
// 2.0 Security BCP asks (RFC 9700 section 4.14.2):
//
//   - each refresh token is used once: refreshing answers a new one of the
//     same family (rotation), and the presented one is used up;
//   - presenting a used-up token again means two parties hold it (someone
//     copied it): the whole family is revoked, the legitimate client's
//     newer token included (reuse detection);
//   - a token is 256 random bits, kept by the server only as its SHA-256
//     hash, so a copy of the database signs nobody in;
//   - a token expires after RefreshLifetimes.Idle unused, and a family
//     (everything descended from one login) after RefreshLifetimes.Max,
//     however often it is refreshed;
//   - signing out, and suspending the user, revoke families.
//
// A family is also the sign-in session of the access tokens it yields: their
// sid claim is its id. Revoking a family by sign-out or reuse announces
// events.SessionRevoked, and every verifier then refuses those access tokens
// too; a suspension voids the user's tokens by issue time instead
// (User.SetStatus).

// Refresh errors. Both answer the same 401: a client learns nothing about
// which tokens exist or why one was refused.
var (
	// ErrRefreshInvalid refuses an unknown, malformed, expired or revoked
	// refresh token, or one of a suspended user.
	// Both are told to clients in one answer: it tells nobody which tokens
	// exist.
	errRefreshInvalid = fault.Unauthorized("refresh token is not valid").
				WithDetail("this refresh token is not valid; sign in again")
	// ErrRefreshReused refuses a used-up token; its family is now revoked.
	errRefreshReused = fault.Unauthorized("refresh token was already used; its family is revoked").
				WithDetail("this refresh token is not valid; sign in again")
)

// RefreshLifetimes bound refresh tokens. Zero fields take the defaults.
type RefreshLifetimes struct {
	// Idle is how long a refresh token stays usable if nobody uses it.
	Idle time.Duration
	// Max is how long a family lives after its login, whatever happens.
	Max time.Duration
}

// Default refresh lifetimes.
const (
	defaultRefreshIdle = 7 * 24 * time.Hour
	defaultRefreshMax  = 30 * 24 * time.Hour
)

// WithDefaults fills the zero fields with the defaults.
func (l RefreshLifetimes) WithDefaults() RefreshLifetimes {
	if l.Idle == 0 {
		l.Idle = defaultRefreshIdle
	}
	if l.Max == 0 {
		l.Max = defaultRefreshMax
	}
	return l
}

// Validate names the lifetime that cannot work.
func (l RefreshLifetimes) Validate() error {
	switch {
	case l.Idle < time.Minute:
		return fmt.Errorf("iam: refresh token idle lifetime is %s; it must be at least 1m", l.Idle)
	case l.Max < l.Idle:
		return fmt.Errorf("iam: refresh family lifetime %s is shorter than the idle lifetime %s", l.Max, l.Idle)
	case l.Max > 366*24*time.Hour:
		return fmt.Errorf("iam: refresh family lifetime is %s; it must be at most a year", l.Max)
	}
	return nil
}

// RefreshFamily is every refresh token descended from one login.
type refreshFamily struct {
	ID        string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time // CreatedAt + Max: no refresh extends it
	RevokedAt time.Time // zero while the family lives
}

// RefreshToken is one refresh token, known by its hash only.
type refreshToken struct {
	Hash      string // hex SHA-256 of the token
	FamilyID  string
	IssuedAt  time.Time
	ExpiresAt time.Time // IssuedAt + Idle, never after the family's
	UsedAt    time.Time // zero until it is exchanged
}

// Use is the rule of presenting t, a token of f, at now. A live, unused,
// unexpired token is used up. A used-up one revokes f (ErrRefreshReused);
// the caller must keep that change. Anything else is ErrRefreshInvalid and
// changes nothing.
func (f *refreshFamily) Use(t *refreshToken, now time.Time) error {
	switch {
	case !f.RevokedAt.IsZero():
		return errRefreshInvalid
	case !t.UsedAt.IsZero():
		f.RevokedAt = now
		return errRefreshReused
	case !now.Before(t.ExpiresAt), !now.Before(f.ExpiresAt):
		return errRefreshInvalid
	}
	t.UsedAt = now
	return nil
}

// Next is the token that follows one used at now: idle lifetime from now,
// cut at the family's end.
func (f refreshFamily) Next(hash string, now time.Time, idle time.Duration) refreshToken {
	exp := now.Add(idle)
	if exp.After(f.ExpiresAt) {
		exp = f.ExpiresAt
	}
	return refreshToken{Hash: hash, FamilyID: f.ID, IssuedAt: now, ExpiresAt: exp}
}

// refreshTokenBytes is the entropy of a refresh token: 256 bits.
const refreshTokenBytes = 32

// newRefreshToken returns a fresh token (base64url, no padding) and its hash.
func newRefreshToken() (token, hash string, err error) { return newSecretToken("refresh token") }

// newSecretToken returns 256 random bits as base64url (no padding) and
// their hash: refresh tokens and calendar feed tokens.
func newSecretToken(what string) (token, hash string, err error) {
	b := make([]byte, refreshTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("%s: %w", what, err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashRefreshToken(token), nil
}

// HashRefreshToken is what the store keeps of a token. A plain SHA-256 is
// enough: the token has 256 random bits, so there is nothing to guess.
func hashRefreshToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// wellFormedRefreshToken reports whether s could be a token iam issued.
func wellFormedRefreshToken(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(refreshTokenBytes) {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == refreshTokenBytes
}

// pruneBatch bounds the expired rows one write removes, so a backlog is
// worked off a little at a time and no request waits on a big delete.
// Every login and refresh adds one token and prunes up to this many.
const pruneBatch = 100

// startRefresh opens the family familyID for a user who just signed in
// and returns its first token.
func (s *Service) startRefresh(ctx context.Context, userID, familyID string, now time.Time) (string, time.Duration, error) {
	token, hash, err := newRefreshToken()
	if err != nil {
		return "", 0, err
	}
	f := refreshFamily{ID: familyID, UserID: userID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.Refresh.Max)}
	first := f.Next(hash, now, s.cfg.Refresh.Idle)
	if err := s.store.StartRefreshFamily(ctx, f, first); err != nil {
		return "", 0, err
	}
	s.prune(ctx, now)
	return token, first.ExpiresAt.Sub(now), nil
}

// Refresh exchanges a refresh token for a new access token and the next
// refresh token of its family. Two concurrent refreshes of one token do not
// both succeed: the store queues them, and the second is a reuse.
func (s *Service) Refresh(ctx context.Context, presented string) (tokens, error) {
	if !wellFormedRefreshToken(presented) {
		return tokens{}, errRefreshInvalid
	}
	token, nextHash, err := newRefreshToken()
	if err != nil {
		return tokens{}, err
	}
	now := s.cfg.Clock.Now()
	var (
		refused error
		user    userAccount
		next    refreshToken
		family  refreshFamily
	)
	err = s.store.UseRefreshToken(ctx, hashRefreshToken(presented), func(u userAccount, f *refreshFamily, t *refreshToken) (*refreshToken, []bus.Event, error) {
		if u.Status == statusSuspended {
			return nil, nil, errRefreshInvalid
		}
		switch err := f.Use(t, now); {
		case errors.Is(err, errRefreshReused):
			refused, family = err, *f
			// Commit the revocation; whoever holds the copy may hold an
			// access token of the session too.
			ev, err := sessionRevoked(ctx, *f, events.SessionReused, now)
			return nil, []bus.Event{ev}, err
		case err != nil:
			return nil, nil, err
		}
		user, family, next = u, *f, f.Next(nextHash, now, s.cfg.Refresh.Idle)
		return &next, nil, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return tokens{}, errRefreshInvalid
	}
	if err != nil {
		return tokens{}, err
	}
	if refused != nil {
		// Either an attacker or the real client presented a copy; we cannot
		// tell which, so both lose the family and sign in again.
		s.cfg.Log.WarnContext(ctx, "refresh token reused: family revoked", "user_id", family.UserID, "family_id", family.ID)
		return tokens{}, refused
	}
	access, ttl, err := s.issuer.IssueAfter(user.principal(family.ID), user.TokensValidFrom)
	if err != nil {
		return tokens{}, err
	}
	s.prune(ctx, now)
	return tokens{AccessToken: access, ExpiresIn: ttl, RefreshToken: token, RefreshExpiresIn: next.ExpiresAt.Sub(now)}, nil
}

// Logout revokes the family of a refresh token (signing out everywhere
// that session's tokens went), and announces it, so every verifier refuses
// the session's access tokens too. An unknown or already revoked token is
// not an error: the caller wanted it dead, and it is.
func (s *Service) Logout(ctx context.Context, presented string) error {
	if !wellFormedRefreshToken(presented) {
		return fault.ValidationError{{Field: "refresh_token", Message: "is not a refresh token"}}
	}
	now := s.cfg.Clock.Now()
	_, err := s.store.RevokeRefreshFamilyOf(ctx, hashRefreshToken(presented), now, func(f refreshFamily) ([]bus.Event, error) {
		ev, err := sessionRevoked(ctx, f, events.SessionSignedOut, now)
		return []bus.Event{ev}, err
	})
	if err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// sessionRevoked announces that family f, a sign-in session, ended at now.
func sessionRevoked(ctx context.Context, f refreshFamily, reason string, now time.Time) (bus.Event, error) {
	return bus.NewEvent(ctx, events.TypeSessionRevoked, f.UserID, events.SessionRevoked{
		SessionID: f.ID, UserID: f.UserID, Reason: reason, At: now.UTC()}, now)
}

// prune removes a bounded batch of expired refresh tokens and families. A
// failure costs only disk space, so it is logged, not returned.
func (s *Service) prune(ctx context.Context, now time.Time) {
	if _, err := s.store.PruneRefresh(ctx, now, pruneBatch); err != nil {
		s.cfg.Log.WarnContext(ctx, "prune expired refresh tokens", "err", err)
	}
}

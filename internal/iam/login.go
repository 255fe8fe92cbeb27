package iam

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/fault"
	"github.com/openhouse/openhouse/internal/platform/ratelimit"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// Login errors.
var (
	// ErrBadCredentials is the one answer for an unknown email or a wrong
	// password, so that login tells nobody which accounts exist.
	errBadCredentials = fault.Unauthorized("wrong email or password")
	// ErrSuspended refuses a correct login to a suspended account.
	errSuspended = fault.Forbidden("account suspended").WithDetail("this account is suspended")
)

// ThrottledError says a login was refused before its password was checked.
type throttledError struct{ RetryAfter time.Duration }

func (e throttledError) Error() string {
	return fmt.Sprintf("too many failed sign-ins; retry in %s", e.RetryAfter.Round(time.Second))
}

// Answer is a 429 telling when to try again.
func (e throttledError) Answer() fault.Answer {
	return fault.Answer{Kind: fault.KindTooManyRequests, Detail: "too many failed sign-ins; try again later", RetryAfter: e.RetryAfter}
}

// tokens is a signed access token and, for users, the refresh token that
// gets the next one (empty for service identities).
type tokens struct {
	AccessToken      string
	ExpiresIn        time.Duration
	RefreshToken     string
	RefreshExpiresIn time.Duration
}

// Login checks an email and password from a client address and returns an
// access token and the first refresh token of a new family.
func (s *Service) Login(ctx context.Context, email, password, client string) (tokens, error) {
	email = normalizeEmail(email)
	if wait, ok := s.guard.admit(email, client); !ok {
		return tokens{}, throttledError{RetryAfter: wait}
	}
	u, err := s.store.UserByEmail(ctx, email)
	hash := u.PasswordHash
	if errors.Is(err, store.ErrNotFound) {
		hash = s.dummyHash // same work as a real check
	} else if err != nil {
		return tokens{}, err
	}
	ok, checkErr := checkPassword(hash, password)
	if err != nil || checkErr != nil || !ok {
		s.guard.failed(email, client)
		return tokens{}, errBadCredentials
	}
	s.guard.succeeded(email, client)
	if u.Status == statusSuspended {
		return tokens{}, errSuspended
	}
	session := uuid.NewString() // the refresh family, and the sid of its access tokens
	tok, ttl, err := s.issuer.IssueAfter(u.principal(session), u.TokensValidFrom)
	if err != nil {
		return tokens{}, err
	}
	refresh, refreshTTL, err := s.startRefresh(ctx, u.ID, session, s.cfg.Clock.Now())
	if err != nil {
		return tokens{}, err
	}
	return tokens{AccessToken: tok, ExpiresIn: ttl, RefreshToken: refresh, RefreshExpiresIn: refreshTTL}, nil
}

// principal is who u's access tokens of session say is calling.
func (u userAccount) principal(session string) auth.Principal {
	return auth.Principal{ID: u.ID, Role: auth.Role(u.Role), Session: session}
}

// ServiceToken issues a service identity's token for valid client
// credentials (OAuth 2.0 client credentials grant).
func (s *Service) ServiceToken(clientID, secret string) (tokens, error) {
	want, known := s.cfg.ServiceSecrets[clientID]
	if !known {
		want = s.dummyHash // compare anyway: same time for unknown clients
	}
	if !auth.CheckSecret(want, secret) || !known {
		return tokens{}, errBadCredentials
	}
	tok, ttl, err := s.issuer.Issue(auth.ServicePrincipal(clientID))
	if err != nil {
		return tokens{}, err
	}
	return tokens{AccessToken: tok, ExpiresIn: ttl}, nil
}

// loginGuard applies LoginLimits. It is per process (see docs/security.md).
type loginGuard struct {
	limits    LoginLimits
	pair      *ratelimit.Window // account|client failures
	address   *ratelimit.Window // client failures
	account   *ratelimit.Window // account failures
	clock     clock.Clock
	mu        sync.Mutex
	knownGood map[string]time.Time // account|client -> last success
}

const knownGoodFor = 30 * 24 * time.Hour

func newLoginGuard(l LoginLimits, c clock.Clock) *loginGuard {
	return &loginGuard{
		limits:    l,
		pair:      ratelimit.NewWindow(l.PerClient, l.Window, c),
		address:   ratelimit.NewWindow(l.PerAddress, l.Window, c),
		account:   ratelimit.NewWindow(l.PerAccount, l.Window, c),
		clock:     c,
		knownGood: map[string]time.Time{},
	}
}

func (g *loginGuard) admit(email, client string) (time.Duration, bool) {
	if ok, wait := g.pair.Allowed(email + "|" + client); !ok {
		return wait, false
	}
	if ok, wait := g.address.Allowed(client); !ok {
		return wait, false
	}
	if ok, wait := g.account.Allowed(email); !ok && !g.isKnownGood(email, client) {
		return wait, false
	}
	return 0, true
}

func (g *loginGuard) failed(email, client string) {
	g.pair.Add(email + "|" + client)
	g.address.Add(client)
	g.account.Add(email)
}

func (g *loginGuard) succeeded(email, client string) {
	g.pair.Reset(email + "|" + client)
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock.Now()
	g.knownGood[email+"|"+client] = now
	if len(g.knownGood) > 100_000 { // bound memory: forget stale entries
		for k, at := range g.knownGood {
			if now.Sub(at) > knownGoodFor {
				delete(g.knownGood, k)
			}
		}
	}
}

func (g *loginGuard) isKnownGood(email, client string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	at, ok := g.knownGood[email+"|"+client]
	return ok && g.clock.Now().Sub(at) < knownGoodFor
}

package auth

import (
	"context"
	"sync"
	"time"

	"github.com/openhouse/openhouse/internal/platform/clock"
)

// revocationSweepEvery is how often, at most, writes to a Revocations
// forget the entries whose tokens have all expired.
const revocationSweepEvery = time.Minute

// Revocations is what one process knows of access tokens that were ended
// before they expire, and the Revoked check of its Verifier:
//
//   - sessions signed out (by sid): every token carrying the session is
//     refused (EndSession);
//   - users suspended (every token of theirs is refused while it lasts) or
//     whose tokens issued before an instant are void: tokens issued before
//     a suspension stay dead after the reactivation (SetUser).
//
// iam announces both on its stream and every process feeds them in here
// (internal/app); a process that starts late replays what is still in force
// before it serves. It is safe for concurrent use; Revoked takes a read lock
// and two map lookups, so it costs nothing next to a signature check.
//
// Memory is bounded by time, not by history. No access token lives longer
// than MaxTTL, and a verifier accepts one for its skew more, so a revocation
// made at an instant matters only until that instant + MaxTTL + skew; each
// entry is forgotten then (swept by the writes, at most once a minute). The
// maps therefore hold the sessions ended in about the last hour, and the
// users suspended now or whose cut-off is that recent (BenchmarkRevocations
// measures an entry; docs/performance.md has the figure). The bound is MaxTTL
// rather than iam's configured lifetime because a verifier cannot know the
// lifetime a token was issued under (iam may have restarted with another);
// with the 15 min default that keeps entries four times longer than needed.
// Suspended users are kept until they are reactivated: their number is
// bounded by the accounts, not by time.
type Revocations struct {
	clock clock.Clock
	keep  time.Duration // MaxTTL + skew: how long a revocation can matter

	mu        sync.RWMutex
	sessions  map[string]time.Time // sid -> when to forget it
	users     map[string]userCutoff
	nextSweep time.Time
}

// userCutoff is what voids a user's tokens.
type userCutoff struct {
	suspended bool      // every token is refused
	validFrom time.Time // tokens issued before it are refused
}

// NewRevocations returns an empty Revocations that keeps each revocation
// for MaxTTL + skew after it was made; skew must be the verifier's MaxSkew
// (zero: DefaultMaxSkew). Clock nil is the wall clock.
func NewRevocations(c clock.Clock, skew time.Duration) *Revocations {
	if c == nil {
		c = clock.Real{}
	}
	if skew == 0 {
		skew = DefaultMaxSkew
	}
	return &Revocations{clock: c, keep: MaxTTL + skew, sessions: map[string]time.Time{}, users: map[string]userCutoff{}}
}

// EndSession refuses from now on every token whose sid is session; at is
// when the session ended (by iam's clock), and the entry is forgotten at
// at + MaxTTL + skew, when every such token has expired. A session that
// ended longer ago than that is not stored at all (a replay of old events).
func (r *Revocations) EndSession(session string, at time.Time) {
	now := r.clock.Now()
	forget := at.Add(r.keep)
	if session == "" || !now.Before(forget) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if forget.After(r.sessions[session]) {
		r.sessions[session] = forget
	}
	r.sweepLocked(now)
}

// SetUser records a user's standing as iam announced it last: suspended or
// not, and the instant before which the user's tokens are void (the last
// suspension or reactivation). Events are applied in the order iam
// published them, so the latest call wins. A user who is active and whose
// cut-off is old enough that every token before it has expired is
// forgotten.
func (r *Revocations) SetUser(userID string, suspended bool, validFrom time.Time) {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !suspended && !now.Before(validFrom.Add(r.keep)) {
		delete(r.users, userID)
	} else {
		r.users[userID] = userCutoff{suspended: suspended, validFrom: validFrom}
	}
	r.sweepLocked(now)
}

// Revoked reports whether a token of p issued at issuedAt is void: its
// session ended, its user is suspended, or it was issued before the user's
// cut-off. It is a VerifierConfig.Revoked. Service identities are never
// revoked here.
func (r *Revocations) Revoked(_ context.Context, p Principal, issuedAt time.Time) bool {
	return r.void(p, issuedAt, true)
}

// Ended reports whether p's user is suspended or p's session has ended:
// what can be said of a caller without the token's issue time. A live
// stream, which outlasts the request that verified its token, asks it at
// each event.
func (r *Revocations) Ended(p Principal) bool {
	return r.void(p, time.Time{}, false)
}

// void is Revoked, and Ended when byTime is false.
func (r *Revocations) void(p Principal, issuedAt time.Time, byTime bool) bool {
	if p.IsService() {
		return false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if u, ok := r.users[p.ID]; ok && (u.suspended || byTime && issuedAt.Before(u.validFrom)) {
		return true
	}
	_, ended := r.sessions[p.Session] // EndSession never stores ""
	return ended
}

// Len is how many sessions and users are remembered (for tests and
// metrics).
func (r *Revocations) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.sessions) + len(r.users)
}

// sweepLocked forgets, at most once per revocationSweepEvery, every entry
// whose tokens have all expired. An entry past its time that is not swept
// yet only refuses tokens the verifier refuses anyway (they expired).
func (r *Revocations) sweepLocked(now time.Time) {
	if now.Before(r.nextSweep) {
		return
	}
	r.nextSweep = now.Add(revocationSweepEvery)
	for s, forget := range r.sessions {
		if !now.Before(forget) {
			delete(r.sessions, s)
		}
	}
	for id, u := range r.users {
		if !u.suspended && !now.Before(u.validFrom.Add(r.keep)) {
			delete(r.users, id)
		}
	}
}

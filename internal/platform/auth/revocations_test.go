package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/openhouse/openhouse/internal/platform/auth"
)

// keep is how long a Revocations remembers a revocation with the fixture's
// skew: until every token it voids has expired, whatever TTL issued it.
const keep = auth.MaxTTL + skew

func (f *fixture) verifies(t *testing.T, v *auth.Verifier, name, tok string, want bool) {
	t.Helper()
	_, err := v.Verify(context.Background(), tok)
	switch {
	case want && err != nil:
		t.Fatalf("%s: %v, want it accepted", name, err)
	case !want && !errors.Is(err, auth.ErrInvalidToken):
		t.Fatalf("%s: %v, want ErrInvalidToken", name, err)
	}
}

// TestRevocationsEndSession: signing out ends the tokens of that session,
// not the user's other sessions nor services, and the entry is forgotten
// once no token it voids can be alive.
func TestRevocationsEndSession(t *testing.T) {
	f := newFixture(t)
	r := auth.NewRevocations(f.clock, skew)
	v := f.verifier(r.Revoked)
	out := auth.Principal{ID: "user-1", Role: auth.RoleCustomer, Session: "family-1"}
	stays := auth.Principal{ID: "user-1", Role: auth.RoleCustomer, Session: "family-2"}
	signedOut, other, svc := f.issue(t, out), f.issue(t, stays), f.issue(t, auth.ServicePrincipal("cart"))
	f.verifies(t, v, "before sign-out", signedOut, true)

	f.clock.Advance(time.Minute)
	r.EndSession("family-1", f.clock.Now())
	f.verifies(t, v, "the signed-out session's token", signedOut, false)
	f.verifies(t, v, "the user's other session", other, true)
	f.verifies(t, v, "a service token", svc, true)
	if !r.Ended(out) || r.Ended(stays) {
		t.Fatalf("Ended = %v, %v; want true for the signed-out session only", r.Ended(out), r.Ended(stays))
	}
	if r.Len() != 1 {
		t.Fatalf("Len = %d, want 1", r.Len())
	}

	// After keep, every token of the session has expired: the next write
	// forgets it.
	f.clock.Advance(keep)
	r.EndSession("family-3", f.clock.Now())
	if r.Len() != 1 {
		t.Fatalf("Len = %d after %s, want 1 (only the new session)", r.Len(), keep)
	}
	f.verifies(t, v, "the signed-out session's token, long expired", signedOut, false)
}

// TestRevocationsByIssueTime: a suspension voids every token; the
// reactivation lets through only tokens issued after it, so a token from
// before the suspension stays dead (issue 14, point 3).
func TestRevocationsByIssueTime(t *testing.T) {
	f := newFixture(t)
	r := auth.NewRevocations(f.clock, skew)
	v := f.verifier(r.Revoked)
	p := auth.Principal{ID: "user-1", Role: auth.RoleRealtor, Session: "family-1"}
	before := f.issue(t, p)

	f.clock.Advance(10 * time.Second)
	r.SetUser("user-1", true, f.clock.Now())
	f.verifies(t, v, "token from before the suspension", before, false)
	during := f.issue(t, p) // iam issues none while suspended; a verifier refuses one anyway
	f.verifies(t, v, "token issued while suspended", during, false)
	if !r.Ended(p) {
		t.Fatal("Ended is false for a suspended user")
	}

	f.clock.Advance(time.Minute)
	reactivated := f.clock.Now()
	r.SetUser("user-1", false, reactivated)
	f.verifies(t, v, "token from before the suspension, after the reactivation", before, false)
	f.verifies(t, v, "token issued while suspended, after the reactivation", during, false)
	after, _, err := f.issuer.IssueAfter(p, reactivated)
	if err != nil {
		t.Fatal(err)
	}
	f.verifies(t, v, "token issued after the reactivation", after, true)
	if r.Ended(p) {
		t.Fatal("Ended is true for a reactivated user")
	}
	f.verifies(t, v, "another user's token", f.issue(t, auth.Principal{ID: "user-2", Role: auth.RoleRealtor}), true)

	f.clock.Advance(keep)
	r.SetUser("user-3", false, f.clock.Now().Add(-keep)) // a write that sweeps; too old to be kept itself
	if r.Len() != 0 {
		t.Fatalf("Len = %d after %s, want 0", r.Len(), keep)
	}
}

// TestRevocationsWithinOneSecond: iat counts whole seconds, so a token
// issued before a suspension and one issued after the reactivation can
// share a second. IssueAfter dates the new one to the next whole second:
// the old one stays refused and the new one works at once.
func TestRevocationsWithinOneSecond(t *testing.T) {
	f := newFixture(t)
	r := auth.NewRevocations(f.clock, skew)
	v := f.verifier(r.Revoked)
	p := auth.Principal{ID: "user-1", Role: auth.RoleCustomer}
	f.clock.Advance(200 * time.Millisecond)
	before := f.issue(t, p)
	f.clock.Advance(300 * time.Millisecond)
	r.SetUser("user-1", true, f.clock.Now())
	f.clock.Advance(200 * time.Millisecond)
	r.SetUser("user-1", false, f.clock.Now())
	after, expiresIn, err := f.issuer.IssueAfter(p, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	f.verifies(t, v, "token from before the suspension, same second", before, false)
	f.verifies(t, v, "token issued after the reactivation, same second", after, true)
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(after, c); err != nil {
		t.Fatal(err)
	}
	next := float64(t0.Add(time.Second).Unix())
	if c["iat"] != next || c["nbf"] != next || c["exp"] != next+ttl.Seconds() || expiresIn != ttl {
		t.Fatalf("iat %v nbf %v exp %v expires in %s; want iat = nbf = %v, exp %s later", c["iat"], c["nbf"], c["exp"], expiresIn, next, ttl)
	}

	// A cut-off in an earlier second changes nothing: the token is dated now.
	f.clock.Advance(2 * time.Second)
	later, _, err := f.issuer.IssueAfter(p, t0)
	if err != nil {
		t.Fatal(err)
	}
	lc := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(later, lc); err != nil {
		t.Fatal(err)
	}
	if want := float64(f.clock.Now().Unix()); lc["iat"] != want {
		t.Fatalf("iat = %v, want now (%v)", lc["iat"], want)
	}
}

// TestRevocationsSkipWhatNoLongerMatters: a replay of old events (a process
// starting) keeps nothing that cannot void a live token, but a suspension
// lasts until the reactivation, however old.
func TestRevocationsSkipWhatNoLongerMatters(t *testing.T) {
	f := newFixture(t)
	r := auth.NewRevocations(f.clock, skew)
	old := f.clock.Now().Add(-keep)
	r.EndSession("family-old", old)
	r.SetUser("user-reactivated-long-ago", false, old)
	if r.Len() != 0 {
		t.Fatalf("Len = %d after stale events, want 0", r.Len())
	}
	r.SetUser("user-suspended-long-ago", true, old.Add(-24*time.Hour))
	f.clock.Advance(24 * time.Hour)
	r.EndSession("", f.clock.Now()) // no session: ignored
	if r.Len() != 1 || !r.Ended(auth.Principal{ID: "user-suspended-long-ago", Role: auth.RoleCustomer}) {
		t.Fatalf("Len = %d; a suspension must last until the reactivation", r.Len())
	}
}

package iam

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

const day = 24 * time.Hour

// session is what a login or a refresh answered.
type session struct {
	access, refresh string
	expiresIn       time.Duration // of the refresh token
}

func (h *harness) signIn(a account) session {
	h.t.Helper()
	resp := h.do("POST", "/iam/login", "", map[string]string{"email": a.email, "password": a.password})
	if resp.status != http.StatusOK {
		h.t.Fatalf("login %s: %d %s", a.email, resp.status, resp.body)
	}
	return sessionOf(h.t, resp)
}

func sessionOf(t testing.TB, resp response) session {
	t.Helper()
	m := resp.json(t)
	rt, _ := m["refresh_token"].(string)
	secs, _ := m["refresh_expires_in"].(float64)
	return session{access: m["access_token"].(string), refresh: rt, expiresIn: time.Duration(secs) * time.Second}
}

// refresh presents a refresh token and returns the answer.
func (h *harness) refresh(token string) response {
	h.t.Helper()
	return h.do("POST", "/iam/refresh", "", map[string]string{"refresh_token": token})
}

// mustRefresh presents a refresh token that must work.
func (h *harness) mustRefresh(token string) session {
	h.t.Helper()
	resp := h.refresh(token)
	if resp.status != http.StatusOK {
		h.t.Fatalf("refresh = %d %s, want 200", resp.status, resp.body)
	}
	if resp.header.Get("Cache-Control") != "no-store" {
		h.t.Fatalf("refresh answer may be cached: %q", resp.header.Get("Cache-Control"))
	}
	return sessionOf(h.t, resp)
}

// refused checks that a refresh is the one 401 problem that says nothing
// about why.
func (h *harness) refused(what, token string) {
	h.t.Helper()
	resp := h.refresh(token)
	if resp.status != http.StatusUnauthorized || resp.header.Get("Content-Type") != "application/problem+json" {
		h.t.Fatalf("%s: refresh = %d %s, want a 401 problem", what, resp.status, resp.body)
	}
	if got := resp.json(h.t)["detail"]; got != "this refresh token is not valid; sign in again" {
		h.t.Fatalf("%s: detail %q tells more than that the token is not valid", what, got)
	}
}

// TestRefreshRotation: login answers a refresh token; each refresh answers
// a new access token and a new refresh token and uses the old one up;
// presenting a used-up one revokes the family, the newest token included.
// The database keeps only hashes.
func TestRefreshRotation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		h := newHarness(t, open)
		ann := h.register(roleCustomer, "ann")
		s1 := h.signIn(ann)
		if len(s1.refresh) != 43 || strings.ContainsAny(s1.refresh, "+/=") || s1.expiresIn != 7*day {
			t.Fatalf("login's refresh token %q (%d chars), expires in %s; want 43 base64url chars, 7 days", s1.refresh, len(s1.refresh), s1.expiresIn)
		}
		var stored, plain int
		if err := h.db.QueryRow(`SELECT COUNT(*) FROM refresh_tokens WHERE token_hash = $1`, hashRefreshToken(s1.refresh)).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if err := h.db.QueryRow(`SELECT COUNT(*) FROM refresh_tokens WHERE token_hash = $1`, s1.refresh).Scan(&plain); err != nil {
			t.Fatal(err)
		}
		if stored != 1 || plain != 0 {
			t.Fatalf("rows by hash %d, by the token itself %d; want 1 and 0", stored, plain)
		}

		h.clock.Advance(20 * time.Minute) // the access token has expired
		if resp := h.do("GET", "/iam/me", s1.access, nil); resp.status != 401 {
			t.Fatalf("expired access token = %d, want 401", resp.status)
		}
		s2 := h.mustRefresh(s1.refresh)
		if s2.refresh == s1.refresh || s2.access == s1.access || s2.refresh == "" {
			t.Fatal("refresh did not rotate both tokens")
		}
		if resp := h.do("GET", "/iam/me", s2.access, nil); resp.status != 200 || resp.json(t)["id"] != ann.id {
			t.Fatalf("refreshed access token: /iam/me = %d %s", resp.status, resp.body)
		}
		s3 := h.mustRefresh(s2.refresh)

		// s1 is used up: someone holds a copy. The family dies, s3 with it.
		h.refused("used-up token", s1.refresh)
		h.refused("newest token after reuse", s3.refresh)
		h.refused("used-up token again", s1.refresh)
		// Another login's family is not affected.
		other := h.signIn(ann)
		h.mustRefresh(other.refresh)

		// Unknown, malformed and empty tokens get the same answer.
		h.refused("unknown", strings.Repeat("A", 43))
		h.refused("malformed", "not a token")
		h.refused("empty", "")
		if resp := h.do("POST", "/iam/refresh", "", `{"refresh_token":1}`); resp.status != 400 {
			t.Fatalf("wrong type = %d, want 400", resp.status)
		}
	})
}

// TestRefreshLifetimes: a token unused for 7 days expires; refreshing
// keeps a family alive, but never past 30 days from its login.
func TestRefreshLifetimes(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	ann := h.register(roleCustomer, "ann")

	idle := h.signIn(ann)
	h.clock.Advance(7*day - time.Second)
	h.mustRefresh(h.signIn(ann).refresh) // a fresh one works meanwhile
	h.clock.Advance(time.Second)
	h.refused("unused for 7 days", idle.refresh)

	s := h.signIn(ann)
	loggedIn := h.clock.Now()
	for i := range 4 { // days 6, 12, 18, 24
		h.clock.Advance(6 * day)
		s = h.mustRefresh(s.refresh)
		want := min(7*day, loggedIn.Add(30*day).Sub(h.clock.Now())) // 6 days at day 24
		if s.expiresIn != want {
			t.Fatalf("refresh %d expires in %s, want %s", i, s.expiresIn, want)
		}
	}
	h.clock.Advance(5 * day) // day 29: the family ends in a day
	s = h.mustRefresh(s.refresh)
	if s.expiresIn != day {
		t.Fatalf("refresh near the family's end expires in %s, want the day left of 30", s.expiresIn)
	}
	h.clock.Advance(12 * time.Hour)
	s = h.mustRefresh(s.refresh)
	h.clock.Advance(12 * time.Hour) // day 30
	h.refused("30 days after login", s.refresh)
}

// TestLogout: signing out revokes the family (the access token dies on
// its own, minutes later); unknown tokens are signed out too, malformed
// ones are a 422.
func TestLogout(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	ann := h.register(roleCustomer, "ann")
	s1 := h.signIn(ann)
	other := h.signIn(ann) // another device
	s2 := h.mustRefresh(s1.refresh)
	if resp := h.do("POST", "/iam/logout", "", map[string]string{"refresh_token": s2.refresh}); resp.status != http.StatusNoContent {
		t.Fatalf("logout = %d %s, want 204", resp.status, resp.body)
	}
	h.refused("signed out", s2.refresh)
	h.mustRefresh(other.refresh)
	// Signing out with the used-up token of a family ends it as well.
	s3 := h.signIn(ann)
	s4 := h.mustRefresh(s3.refresh)
	for _, tok := range []string{s3.refresh, s3.refresh, strings.Repeat("A", 43)} {
		if resp := h.do("POST", "/iam/logout", "", map[string]string{"refresh_token": tok}); resp.status != http.StatusNoContent {
			t.Fatalf("logout = %d %s, want 204", resp.status, resp.body)
		}
	}
	h.refused("family signed out by its old token", s4.refresh)
	if resp := h.do("POST", "/iam/logout", "", map[string]string{"refresh_token": "x"}); resp.status != 422 {
		t.Fatalf("malformed logout = %d %s, want 422", resp.status, resp.body)
	}
}

// TestRefreshSuspended: suspension revokes the user's families, and
// reactivation does not bring them back. Unverified providers refresh as
// they sign in.
func TestRefreshSuspended(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	admin := h.admin()
	ann := h.register(roleCustomer, "ann")
	s1, s2 := h.signIn(ann), h.signIn(ann)
	if resp := h.do("PATCH", "/iam/users/"+ann.id, admin.token, map[string]any{"status": "suspended"}); resp.status != 200 {
		t.Fatalf("suspend = %d %s", resp.status, resp.body)
	}
	h.refused("suspended", s1.refresh)
	if resp := h.do("PATCH", "/iam/users/"+ann.id, admin.token, map[string]any{"status": "active"}); resp.status != 200 {
		t.Fatalf("reactivate = %d %s", resp.status, resp.body)
	}
	h.refused("revoked at suspension", s2.refresh)
	h.mustRefresh(h.signIn(ann).refresh)

	// A suspension whose revocation has not happened (another instance's
	// write in flight) is still refused: refresh reads the user's status.
	s3 := h.signIn(ann)
	if _, err := h.store.UpdateUser(context.Background(), ann.id, func(u *userAccount) ([]bus.Event, error) { u.Status = statusSuspended; return nil, nil }); err != nil {
		t.Fatal(err)
	}
	h.refused("suspended, family still live", s3.refresh)

	provider := h.register(roleProvider, "unverified")
	h.mustRefresh(h.signIn(provider).refresh)
}

// TestRefreshConcurrentUse: two refreshes of one token at once never both
// succeed; the loser is a reuse, which revokes the winner's new token.
func TestRefreshConcurrentUse(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		h := newHarness(t, open)
		ann := h.register(roleCustomer, "ann")
		ctx := context.Background()
		for round := range 10 {
			tok, err := h.svc.Login(ctx, ann.email, ann.password, "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			var (
				wg      sync.WaitGroup
				start   = make(chan struct{})
				results [2]tokens
				errs    [2]error
			)
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results[i], errs[i] = h.svc.Refresh(ctx, tok.RefreshToken)
				}()
			}
			close(start)
			wg.Wait()
			won := -1
			for i, err := range errs {
				switch {
				case err == nil && won < 0:
					won = i
				case err == nil:
					t.Fatalf("round %d: both refreshes succeeded", round)
				case !errors.Is(err, errRefreshReused):
					t.Fatalf("round %d: the losing refresh failed with %v, want a reuse", round, err)
				}
			}
			if won < 0 {
				t.Fatalf("round %d: neither refresh succeeded: %v", round, errs)
			}
			if _, err := h.svc.Refresh(ctx, results[won].RefreshToken); !errors.Is(err, errRefreshInvalid) {
				t.Fatalf("round %d: the winner's token after the reuse: %v, want refused", round, err)
			}
		}
	})
}

// TestPruneRefresh: expired tokens and families go, a bounded batch per
// call; live ones stay.
func TestPruneRefresh(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		h := newHarness(t, open)
		ann := h.register(roleCustomer, "ann")
		for range 3 {
			s := h.signIn(ann)
			h.mustRefresh(s.refresh) // two tokens per family
		}
		h.clock.Advance(31 * day)
		live := h.signIn(ann) // prunes a batch itself; clear the rest by hand below
		ctx := context.Background()
		count := func(table string) int {
			var n int
			if err := h.db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if count("refresh_tokens") != 1 || count("refresh_families") != 1 {
			t.Fatalf("after a login past expiry: %d tokens, %d families; want only the live one", count("refresh_tokens"), count("refresh_families"))
		}
		h.mustRefresh(live.refresh)

		// The batch bound, on the store: four tokens in two families expire.
		h.clock.Advance(40 * day)
		for range 2 {
			h.mustRefresh(h.signIn(ann).refresh)
		}
		h.clock.Advance(40 * day)
		before := count("refresh_tokens")
		n, err := h.store.PruneRefresh(ctx, h.clock.Now(), 2)
		if err != nil {
			t.Fatal(err)
		}
		if before != 4 || count("refresh_tokens") != 2 || n < 2 {
			t.Fatalf("prune with limit 2: %d tokens before, %d after, %d rows deleted; want 4, 2, at least 2", before, count("refresh_tokens"), n)
		}
		for range 3 {
			if _, err := h.store.PruneRefresh(ctx, h.clock.Now(), 2); err != nil {
				t.Fatal(err)
			}
		}
		if count("refresh_tokens") != 0 || count("refresh_families") != 0 {
			t.Fatalf("%d tokens, %d families left", count("refresh_tokens"), count("refresh_families"))
		}
	})
}

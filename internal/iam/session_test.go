package iam

import (
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// claimsOf reads an access token's payload (iam signed it; the signature
// is not the point here).
func claimsOf(t testing.TB, access string) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(access, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (h *harness) sessionsRevoked() []events.SessionRevoked {
	h.t.Helper()
	var out []events.SessionRevoked
	for _, ev := range h.outboxEvents(events.TypeSessionRevoked) {
		var e events.SessionRevoked
		if err := ev.DataAs(&e); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// TestSessionsAreAnnounced: each login's access tokens carry the login's
// session (its refresh family) as sid, refreshed ones too; signing out, and
// the reuse of a used-up refresh token, announce the session's end once, in
// the transaction that revokes the family, so that every verifier refuses
// its access tokens (internal/app shows them refused).
func TestSessionsAreAnnounced(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		h := newHarness(t, open)
		ann := h.register(roleCustomer, "ann")
		s1, s2 := h.signIn(ann), h.signIn(ann)
		sid1, _ := claimsOf(t, s1.access)["sid"].(string)
		sid2, _ := claimsOf(t, s2.access)["sid"].(string)
		var family string
		if err := h.db.QueryRow(`SELECT family_id FROM refresh_tokens WHERE token_hash = $1`, hashRefreshToken(s1.refresh)).Scan(&family); err != nil {
			t.Fatal(err)
		}
		if sid1 == "" || sid1 == sid2 || sid1 != family {
			t.Fatalf("sids %q and %q; want each login's own, the first %q (its refresh family)", sid1, sid2, family)
		}
		h.clock.Advance(time.Minute)
		s1b := h.mustRefresh(s1.refresh)
		if got := claimsOf(t, s1b.access)["sid"]; got != sid1 {
			t.Fatalf("refreshed token's sid %v, want the session's %s", got, sid1)
		}
		if got := h.sessionsRevoked(); len(got) != 0 {
			t.Fatalf("announced %v before any sign-out", got)
		}

		h.clock.Advance(time.Minute)
		for range 2 { // the second sign-out changes nothing and announces nothing
			if resp := h.do("POST", "/iam/logout", "", map[string]string{"refresh_token": s1b.refresh}); resp.status != http.StatusNoContent {
				t.Fatalf("logout = %d %s", resp.status, resp.body)
			}
		}
		want := events.SessionRevoked{SessionID: sid1, UserID: ann.id, Reason: events.SessionSignedOut, At: h.clock.Now().UTC()}
		if got := h.sessionsRevoked(); len(got) != 1 || !got[0].At.Equal(want.At) || got[0].SessionID != want.SessionID ||
			got[0].UserID != want.UserID || got[0].Reason != want.Reason {
			t.Fatalf("announced %+v, want just %+v", got, want)
		}

		// Reuse of a used-up refresh token ends the session, announced too.
		h.mustRefresh(s2.refresh)
		h.refused("used-up token", s2.refresh)
		got := h.sessionsRevoked()
		if len(got) != 2 || got[1].SessionID != sid2 || got[1].Reason != events.SessionReused {
			t.Fatalf("after reuse: %+v, want the second session announced as reused", got)
		}
	})
}

// TestStatusChangesVoidEarlierTokens: a suspension and a reactivation each
// announce the instant before which the user's tokens are void, and a token
// issued after the reactivation, even in the same second, is dated at or
// after it, so verifiers accept it.
func TestStatusChangesVoidEarlierTokens(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		h := newHarness(t, open)
		admin := h.admin()
		rita := h.register(roleRealtor, "rita")
		h.clock.Advance(1500 * time.Millisecond) // mid-second
		suspendedAt := h.clock.Now().UTC()
		if resp := h.do("PATCH", "/iam/users/"+rita.id, admin.token, map[string]any{"status": "suspended"}); resp.status != 200 {
			t.Fatalf("suspend = %d %s", resp.status, resp.body)
		}
		h.clock.Advance(200 * time.Millisecond) // the same second
		reactivatedAt := h.clock.Now().UTC()
		if resp := h.do("PATCH", "/iam/users/"+rita.id, admin.token, map[string]any{"status": "active"}); resp.status != 200 {
			t.Fatalf("reactivate = %d %s", resp.status, resp.body)
		}
		var got []events.UserStatusChanged
		for _, ev := range h.outboxEvents(events.TypeUserStatusChanged) {
			var e events.UserStatusChanged
			if err := ev.DataAs(&e); err != nil {
				t.Fatal(err)
			}
			got = append(got, e)
		}
		if len(got) != 2 || got[0].Status != "suspended" || !got[0].TokensValidFrom.Equal(suspendedAt) ||
			got[1].Status != "active" || !got[1].TokensValidFrom.Equal(reactivatedAt) {
			t.Fatalf("status events %+v; want tokens_valid_from %s, then %s", got, suspendedAt, reactivatedAt)
		}
		u, err := h.store.UserByID(t.Context(), rita.id)
		if err != nil || !u.TokensValidFrom.Equal(reactivatedAt) {
			t.Fatalf("stored tokens_valid_from %s (%v), want %s", u.TokensValidFrom, err, reactivatedAt)
		}

		// rita's old token was issued at the start, before both.
		if iat, _ := claimsOf(t, rita.token)["iat"].(float64); !time.Unix(int64(iat), 0).Before(suspendedAt) {
			t.Fatalf("old token iat %v is not before the suspension", iat)
		}
		fresh := h.signIn(account{email: rita.email, password: rita.password})
		iat, _ := claimsOf(t, fresh.access)["iat"].(float64)
		if issued := time.Unix(int64(iat), 0); issued.Before(reactivatedAt) || issued.After(reactivatedAt.Add(time.Second)) {
			t.Fatalf("a sign-in in the reactivation's second is dated %s; want the next whole second after %s", issued, reactivatedAt)
		}
		if resp := h.do("GET", "/iam/me", fresh.access, nil); resp.status != 200 {
			t.Fatalf("the new token: /iam/me = %d", resp.status)
		}
	})
}

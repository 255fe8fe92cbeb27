package tour

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// TestMovesKeepTheHomesShowingRules: a move is held to the home's showing
// rules as they are now, as a checkout is: outside its windows, in a
// blackout, under its notice, to a home no longer shown, or on a day it
// has its most showings is a 422 naming the rule and the home, with no
// hold and the tour unchanged; the open times of a move leave the same
// starts out; a move inside them goes on.
func TestMovesKeepTheHomesShowingRules(t *testing.T) {
	h := newHarness(t) // now: Wednesday 25 November 2026, 06:00 in Chicago
	ctx := context.Background()
	chicago, _ := time.LoadLocation("America/Chicago")
	tr := h.book("cust-1", time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC))
	// The Loft is shown Thursdays to Saturdays 13:00-17:00, with a day's
	// notice, never on Saturday 28 November, at most 2 a day.
	rules := events.Showing{MinNoticeMinutes: 24 * 60, MaxPerDay: 2,
		Windows:   []events.ShowingWindow{{Weekday: 4, Start: "13:00", End: "17:00"}, {Weekday: 5, Start: "13:00", End: "17:00"}, {Weekday: 6, Start: "13:00", End: "17:00"}},
		Blackouts: []events.TimeRange{{Start: time.Date(2026, 11, 28, 0, 0, 0, 0, chicago), End: time.Date(2026, 11, 29, 0, 0, 0, 0, chicago)}}}
	h.access.setRules("l-1", rules)

	refused := func(name string, at time.Time, rule string) {
		t.Helper()
		_, err := h.svc.Reschedule(ctx, tr.ID, at)
		p := problemOf(t, err)
		if p["status"] != float64(http.StatusUnprocessableEntity) || p["type"] != tourplan.TypeShowingRule || p["rule"] != rule || p["listing_id"] != "l-1" {
			t.Fatalf("%s: %v, want 422 naming %s of l-1", name, p, rule)
		}
	}
	refused("outside the windows (Friday 10:00)", time.Date(2026, 11, 27, 10, 0, 0, 0, chicago), tourplan.RuleWindows)
	refused("under the notice (today 14:00)", time.Date(2026, 11, 25, 14, 0, 0, 0, chicago), tourplan.RuleNotice)
	refused("in the blackout (Saturday 14:00)", time.Date(2026, 11, 28, 14, 0, 0, 0, chicago), tourplan.RuleBlackouts)
	h.desk.full = true
	refused("a full day (Friday 14:00)", time.Date(2026, 11, 27, 14, 0, 0, 0, chicago), tourplan.RuleMaxPerDay)
	h.desk.full = false
	if len(h.desk.holds) != 0 {
		t.Fatalf("refused moves held %v", h.desk.holds)
	}
	if got, _ := h.store.Get(ctx, tr.ID); !got.ScheduledAt.Equal(tr.ScheduledAt) || got.Version != tr.Version {
		t.Fatalf("a refused move changed the tour: %+v", got)
	}

	// The open times of a move: Friday 13:00 to 16:30 only (Thursday
	// already has two other showings, Saturday is blacked out).
	h.desk.days = map[string]map[string]int{"l-1": {"2026-11-26": 2, "2026-11-27": 1}}
	s, err := h.svc.Slots(ctx, tr, tourplan.SlotsQuery{From: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Items) != 15 || !s.Items[0].Start.Equal(time.Date(2026, 11, 27, 13, 0, 0, 0, chicago)) ||
		!s.Items[14].Start.Equal(time.Date(2026, 11, 27, 16, 30, 0, 0, chicago)) {
		t.Fatalf("%d open times %v, want Friday 13:00 to 16:30", len(s.Items), s.Items)
	}

	// Inside the rules: moved, with the day's limit on the hold.
	at := time.Date(2026, 11, 27, 15, 0, 0, 0, chicago)
	moved, err := h.svc.Reschedule(ctx, tr.ID, at)
	if err != nil || !moved.ScheduledAt.Equal(at) {
		t.Fatalf("inside the rules: %+v, %v", moved, err)
	}
	for _, hold := range h.desk.holds {
		if len(hold.Limits) != 1 || hold.Limits[0].Max != 2 || !hold.Limits[0].From.Equal(time.Date(2026, 11, 27, 0, 0, 0, 0, chicago)) {
			t.Fatalf("the move's hold limits %+v", hold.Limits)
		}
	}

	// Not shown any more: a move names the mode, and there are no times.
	h.access.setRules("l-1", events.Showing{Mode: events.ShowingNone, Message: "Sold."})
	refused("not shown", time.Date(2026, 11, 27, 14, 0, 0, 0, chicago), tourplan.RuleMode)
	if s, err := h.svc.Slots(ctx, moved, tourplan.SlotsQuery{Days: 3}); err != nil || len(s.Items) != 0 {
		t.Fatalf("mode none: %d open times, %v", len(s.Items), err)
	}
}

// TestProviderSeesToursBreakingNewRules: rules changed after tours were
// booked keep the tours and list the visits they break, for the home's
// provider only: outside the new windows, and on a day with one showing
// too many the later booked; a cancelled tour and another provider's home
// are not listed.
func TestProviderSeesToursBreakingNewRules(t *testing.T) {
	h := newHarness(t) // now: Wednesday 25 November 2026, 06:00 in Chicago
	ctx := context.Background()
	chicago, _ := time.LoadLocation("America/Chicago")
	friday := func(hour int) time.Time { return time.Date(2026, 11, 27, hour, 0, 0, 0, chicago) }
	var booked []string
	for _, hour := range []int{10, 12, 11, 14} {
		booked = append(booked, h.book("cust-1", friday(hour)).ID)
		h.clock.Advance(time.Minute)
	}
	if _, err := h.svc.Cancel(ctx, booked[3], cancelByCustomer, "cust-1"); err != nil {
		t.Fatal(err)
	}
	if got, err := h.svc.Conflicts(ctx, "prov-1", ""); err != nil || len(got) != 0 {
		t.Fatalf("before any rules: %v, %v", got, err)
	}
	h.access.setRules("l-1", events.Showing{MaxPerDay: 1, Windows: []events.ShowingWindow{{Weekday: 5, Start: "10:30", End: "17:00"}}})
	for _, q := range []struct{ provider, listing string }{{"prov-1", ""}, {"prov-1", "l-1"}, {"", "l-1"}} {
		got, err := h.svc.Conflicts(ctx, q.provider, q.listing)
		if err != nil {
			t.Fatal(err)
		}
		// 10:00 is outside the window; of 12:00 (booked first) and 11:00,
		// 11:00 is the one too many.
		if len(got) != 2 || got[0].Tour.ID != booked[0] || got[0].Rule != tourplan.RuleWindows ||
			got[1].Tour.ID != booked[2] || got[1].Rule != tourplan.RuleMaxPerDay || !got[1].Stop.Arrive.Equal(friday(11)) {
			t.Fatalf("%+v: conflicts %+v", q, got)
		}
	}
	if got, err := h.svc.Conflicts(ctx, "prov-2", ""); err != nil || len(got) != 0 {
		t.Fatalf("another provider: %v, %v", got, err)
	}
	if got, err := h.svc.Conflicts(ctx, "prov-2", "l-1"); err != nil || len(got) != 0 {
		t.Fatalf("another provider naming the home: %v, %v", got, err)
	}
	// The tours go on.
	for _, id := range booked[:3] {
		if tr, _ := h.store.Get(ctx, id); !tr.Active() {
			t.Fatalf("tour %s is %s after the rules changed", id, tr.Status)
		}
	}
}

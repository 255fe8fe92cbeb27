package cart_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/cart"
	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// loopRules: the Loop home is shown Thursdays and Fridays 13:00-17:00
// Chicago time, with its provider's approval, never on Friday 27 November
// 2026 (a blackout), 45 minutes a visit.
func loopRules(chicago *time.Location) events.Showing {
	return events.Showing{Mode: events.ShowingConfirm, VisitMinutes: 45,
		Windows:   []events.ShowingWindow{{Weekday: 4, Start: "13:00", End: "17:00"}, {Weekday: 5, Start: "13:00", End: "17:00"}},
		Blackouts: []events.TimeRange{{Start: time.Date(2026, 11, 27, 0, 0, 0, 0, chicago), End: time.Date(2026, 11, 28, 0, 0, 0, 0, chicago)}}}
}

// TestCheckoutKeepsShowingRules: a checkout outside a home's windows or in
// its blackouts, or of a home not shown, is a 422 naming the rule and the
// home, before any hold or charge; the open slots leave those starts out;
// a start inside the rules is booked and the order carries the rules.
func TestCheckoutKeepsShowingRules(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		f := newFixture(t, open) // now: Wednesday 25 November 2026, 06:00 in Chicago
		ctx := context.Background()
		chicago, _ := time.LoadLocation("America/Chicago")
		l := f.listings.listings["loop"]
		l.Showing = loopRules(chicago)
		f.listings.listings["loop"] = l
		w := f.listings.listings["wicker"]
		w.Showing = events.Showing{Mode: events.ShowingNone, Message: "Under renovation until spring."}
		f.listings.listings["wicker"] = w
		if _, err := f.svc.Add(ctx, "cust", "loop"); err != nil {
			t.Fatal(err)
		}
		srv := cartServer(t, f)

		for _, tc := range []struct {
			name string
			at   time.Time
			rule string
		}{
			{"outside the windows (Thursday 10:00)", time.Date(2026, 11, 26, 10, 0, 0, 0, chicago), tourplan.RuleWindows},
			{"running past a window's end (Thursday 16:30, 45 min)", time.Date(2026, 11, 26, 16, 30, 0, 0, chicago), tourplan.RuleWindows},
			{"in the blackout (Friday 14:00)", time.Date(2026, 11, 27, 14, 0, 0, 0, chicago), tourplan.RuleBlackouts},
		} {
			status, p := srv.checkout(t, "cust", tc.name, tc.at)
			if status != 422 || p["type"] != cart.TypeShowingRule || p["rule"] != tc.rule || p["listing_id"] != "loop" {
				t.Errorf("%s: %d %v, want 422 naming %s of loop", tc.name, status, p, tc.rule)
			}
		}
		if len(f.desk.holds) != 0 || f.ledger.calls.Load() != 0 {
			t.Fatalf("refused checkouts held %d realtors and charged %d times", len(f.desk.holds), f.ledger.calls.Load())
		}

		// The slots of Thursday and Friday: Thursday 13:00 to 16:15 (the
		// visit is 45 minutes), nothing on the blacked-out Friday, though
		// availability offers the whole day.
		slots, err := f.svc.Slots(ctx, "cust", tourplan.SlotsQuery{From: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), Days: 2})
		if err != nil {
			t.Fatal(err)
		}
		if slots.DurationMinutes != 45 || len(slots.Items) != 14 {
			t.Fatalf("%d slots of %d min, want 14 of 45", len(slots.Items), slots.DurationMinutes)
		}
		for i, s := range slots.Items {
			want := time.Date(2026, 11, 26, 13, 0, 0, 0, chicago).Add(time.Duration(i) * 15 * time.Minute)
			if !s.Start.Equal(want) {
				t.Fatalf("slot %d starts %s, want %s", i, s.Start, want)
			}
		}

		// Inside the rules: booked, and the order carries them.
		at := time.Date(2026, 11, 26, 14, 0, 0, 0, chicago)
		if status, p := srv.checkout(t, "cust", "inside", at); status != 201 {
			t.Fatalf("inside the rules: %d %v", status, p)
		}
		orders := outboxtest.Data[events.OrderPlaced](t, f.db, events.TypeOrderPlaced)
		if len(orders) != 1 || orders[0].Stops[0].Showing.Mode != events.ShowingConfirm ||
			!orders[0].Stops[0].Leave.Equal(at.Add(45*time.Minute)) || len(orders[0].Stops[0].Showing.Windows) != 2 {
			t.Fatalf("order %+v", orders)
		}

		// At its most showings that day: the appointment service refuses
		// the hold for the home's local day; 422 naming the rule, no
		// charge, the cart kept.
		l = f.listings.listings["evanston"]
		l.Showing = events.Showing{MaxPerDay: 2}
		f.listings.listings["evanston"] = l
		if _, err := f.svc.Add(ctx, "cust3", "evanston"); err != nil {
			t.Fatal(err)
		}
		f.desk.full = true
		status, p := srv.checkout(t, "cust3", "full", at)
		if status != 422 || p["rule"] != tourplan.RuleMaxPerDay || p["listing_id"] != "evanston" {
			t.Fatalf("a full day: %d %v", status, p)
		}
		if c, _ := f.svc.Cart(ctx, "cust3"); len(c.Items) != 1 || f.ledger.calls.Load() != 1 {
			t.Fatalf("a full day: cart %v, %d charges", c.Items, f.ledger.calls.Load())
		}
		f.desk.full = false
		if status, p := srv.checkout(t, "cust3", "room", at.Add(time.Hour)); status != 201 {
			t.Fatalf("a day with room: %d %v", status, p)
		}
		var limits []clients.DayLimit
		for _, h := range f.desk.holds {
			if h.CustomerID == "cust3" {
				limits = h.Limits
			}
		}
		if len(limits) != 1 || limits[0].Max != 2 || !limits[0].From.Equal(time.Date(2026, 11, 26, 0, 0, 0, 0, chicago)) ||
			!limits[0].To.Equal(time.Date(2026, 11, 27, 0, 0, 0, 0, chicago)) {
			t.Fatalf("the hold's day limits %+v", limits)
		}

		// The slots leave out the days the home has its most showings
		// (Thursday, two already), and only those.
		f.desk.days = map[string]map[string]int{"evanston": {"2026-11-26": 2, "2026-11-27": 1}}
		if _, err := f.svc.Add(ctx, "cust4", "evanston"); err != nil {
			t.Fatal(err)
		}
		slots, err = f.svc.Slots(ctx, "cust4", tourplan.SlotsQuery{From: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), Days: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(slots.Items) == 0 || f.desk.dayAsks == 0 {
			t.Fatalf("a full Thursday: %d slots, %d questions, want Friday's", len(slots.Items), f.desk.dayAsks)
		}
		for _, s := range slots.Items {
			if s.Start.In(chicago).Day() != 27 {
				t.Fatalf("a full Thursday offers %s", s.Start)
			}
		}

		// A home not shown: no slots, its message, and a checkout names
		// the mode.
		if _, err := f.svc.Add(ctx, "cust2", "wicker"); err != nil {
			t.Fatal(err)
		}
		slots, err = f.svc.Slots(ctx, "cust2", tourplan.SlotsQuery{Days: 7})
		if err != nil {
			t.Fatal(err)
		}
		if len(slots.Items) != 0 || slots.Message != "Under renovation until spring." {
			t.Fatalf("mode none: %d slots, message %q", len(slots.Items), slots.Message)
		}
		status, p = srv.checkout(t, "cust2", "none", at)
		if status != 422 || p["rule"] != tourplan.RuleMode || !strings.Contains(p["detail"].(string), "Under renovation") {
			t.Fatalf("mode none checkout: %d %v", status, p)
		}
		if len(f.desk.holds) != 2 || f.ledger.charged() != 2 {
			t.Fatalf("after the refusals: %d holds, %d charges, want the one booking's", len(f.desk.holds), f.ledger.charged())
		}
	})
}

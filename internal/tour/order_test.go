package tour

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// TestPaidOrderBecomesOneTour: an order becomes a tour once it is both
// placed and paid, whichever news comes first, however often each is
// delivered; the tour takes the order's id and route and names the hold.
func TestPaidOrderBecomesOneTour(t *testing.T) {
	for _, paidFirst := range []bool{false, true} {
		h := newHarness(t)
		start := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
		o := h.order("cust-1", start)
		first, second := h.place, h.pay
		if paidFirst {
			first, second = h.pay, h.place
		}
		if err := first(o); err != nil {
			t.Fatal(err)
		}
		if _, err := h.store.Get(context.Background(), o.OrderID); !errors.Is(err, errNotFound) {
			t.Fatalf("paidFirst=%v: a tour exists with half an order (%v)", paidFirst, err)
		}
		for range 3 { // redelivered
			if err := second(o); err != nil {
				t.Fatal(err)
			}
			if err := first(o); err != nil {
				t.Fatal(err)
			}
		}
		tr, err := h.store.Get(context.Background(), o.OrderID)
		if err != nil || tr.PaymentID != "pay-"+o.OrderID || tr.Paid != usd(4000) || tr.Status != statusPending ||
			!tr.ScheduledAt.Equal(start) || len(tr.Stops) != 1 || tr.Stops[0].ProviderID != "prov-1" {
			t.Fatalf("tour = %+v, %v", tr, err)
		}
		created := outboxtest.OfType(t, h.db, events.TypeTourCreated)
		if len(created) != 1 {
			t.Fatalf("paidFirst=%v: %d tour.created, want 1", paidFirst, len(created))
		}
		var e events.TourCreated
		if err := created[0].DataAs(&e); err != nil || e.HoldID != o.HoldID || e.TourID != o.OrderID {
			t.Fatalf("tour.created = %+v, %v", e, err)
		}
	}
}

// TestUnpaidOrderMakesNoTour: a failed payment leaves the order without a
// tour, whatever arrives after.
func TestUnpaidOrderMakesNoTour(t *testing.T) {
	h := newHarness(t)
	o := h.order("cust-1", time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC))
	if err := h.place(o); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.ApplyOrder(context.Background(), "failed", o.OrderID, func(ord *order, now time.Time) { ord.Fail(now) }); err != nil {
		t.Fatal(err)
	}
	if n := len(outboxtest.OfType(t, h.db, events.TypeTourCreated)); n != 0 {
		t.Fatalf("%d tours for an unpaid order", n)
	}
}

// TestRescheduleHoldsTheNewTimeFirst: a move holds a realtor for the new
// window and names the hold in tour.rescheduled; a time nobody can do is
// refused with alternatives and the tour stays as it was.
func TestRescheduleHoldsTheNewTimeFirst(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tr := h.book("cust-1", time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC))
	next := time.Date(2026, 11, 28, 17, 0, 0, 0, time.UTC)
	moved, err := h.svc.Reschedule(ctx, tr.ID, next)
	if err != nil || !moved.ScheduledAt.Equal(next) || !moved.EndsAt.Equal(next.Add(30*time.Minute)) {
		t.Fatalf("reschedule = %+v, %v", moved, err)
	}
	evs := outboxtest.OfType(t, h.db, events.TypeTourRescheduled)
	var e events.TourRescheduled
	if len(evs) != 1 || evs[0].DataAs(&e) != nil || e.HoldID == "" || h.desk.holds[e.HoldID].TourID != tr.ID ||
		!h.desk.holds[e.HoldID].StartsAt.Equal(next) {
		t.Fatalf("rescheduled = %+v; holds %v", e, h.desk.holds)
	}

	h.desk.taken = true
	_, err = h.svc.Reschedule(ctx, tr.ID, next.Add(24*time.Hour))
	var taken *slotTakenError
	if !errors.As(err, &taken) || len(taken.Alternatives) != maxAlternatives {
		t.Fatalf("a taken time = %v", err)
	}
	if got, _ := h.store.Get(ctx, tr.ID); !got.ScheduledAt.Equal(next) || got.Version != moved.Version {
		t.Fatalf("the refused move changed the tour: %+v", got)
	}
	// The problem a client sees names the alternatives.
	rec := problemOf(t, err)
	if rec["type"] != typeSlotTaken || rec["status"] != float64(http.StatusConflict) || len(rec["alternatives"].([]any)) != maxAlternatives {
		t.Fatalf("problem = %v", rec)
	}
}

// problemOf renders err as the tour API would.
func problemOf(t *testing.T, err error) map[string]any {
	t.Helper()
	w := httptest.NewRecorder()
	WriteError(w, err)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSlotsAreWhereTheTourCanMove: a tour's open slots are the grid's
// starts on its homes' clock for its length, no sooner than a reschedule
// may move it (ChangeBefore and a step from now), for the days asked.
func TestSlotsAreWhereTheTourCanMove(t *testing.T) {
	h := newHarness(t) // now: Wednesday 25 November, 06:00 in Chicago
	ctx := context.Background()
	tr := h.book("cust-1", time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC))
	chicago, _ := time.LoadLocation("America/Chicago")
	for _, c := range []struct {
		name        string
		q           tourplan.SlotsQuery
		first, last time.Time
		n           int
	}{
		// Today from 08:15 (06:00 + 2 h + one step), tomorrow from 08:00,
		// to 19:30 (a 30-minute tour ends by 20:00).
		{"from today", tourplan.SlotsQuery{Days: 2}, time.Date(2026, 11, 25, 8, 15, 0, 0, chicago), time.Date(2026, 11, 26, 19, 30, 0, 0, chicago), 46 + 47},
		{"one later day", tourplan.SlotsQuery{From: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), Days: 1},
			time.Date(2026, 11, 27, 8, 0, 0, 0, chicago), time.Date(2026, 11, 27, 19, 30, 0, 0, chicago), 47},
	} {
		s, err := h.svc.Slots(ctx, tr, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if s.TimeZone != "America/Chicago" || s.DurationMinutes != 30 || len(s.Items) != c.n {
			t.Fatalf("%s: %s, %d min, %d slots; want %d", c.name, s.TimeZone, s.DurationMinutes, len(s.Items), c.n)
		}
		first, last := s.Items[0], s.Items[len(s.Items)-1]
		if !first.Start.Equal(c.first) || !last.Start.Equal(c.last) || !last.End.Equal(c.last.Add(30*time.Minute)) {
			t.Fatalf("%s: from %v to %v; want %v to %v", c.name, first.Start, last.Start, c.first, c.last)
		}
		if _, off := first.Start.Zone(); off != -6*3600 {
			t.Fatalf("%s: a start is written at offset %d s, not the homes' -6 h", c.name, off)
		}
	}
}

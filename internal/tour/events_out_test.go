package tour

import (
	"context"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
)

// TestEventsCarryTheTourAsItIs: every event the tour service writes about
// a tour, from its creation to its cancellation or completion, is about
// that tour (its subject), carries what its consumers need of it (the
// customer, the homes' zone, the route with each home's fee, its status
// and realtor as they are after the change) and a version that grows, so
// a consumer can drop older news.
func TestEventsCarryTheTourAsItIs(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	start := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	o := h.order("cust-1", start)
	if err := placeAndPay(h.svc, o); err != nil {
		t.Fatal(err)
	}
	id := o.OrderID
	if err := h.deliver(events.TypeAppointmentUnassigned, id, events.AppointmentUnassigned{TourID: id, At: h.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := h.assigned(id, "r-1", h.clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Reschedule(ctx, id, time.Date(2026, 11, 28, 11, 0, 0, 0, chicago)); err != nil {
		t.Fatal(err)
	}
	if err := h.assigned(id, "r-1", h.clock.Now().Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Cancel(ctx, id, cancelByCustomer, "cust-1"); err != nil {
		t.Fatal(err)
	}

	type want struct {
		typ, status, realtor string
		check                func(t *testing.T)
	}
	wants := []want{
		{events.TypeTourCreated, "pending", "", func(t *testing.T) {
			if e := outboxtest.Data[events.TourCreated](t, h.db, events.TypeTourCreated)[0]; e.HoldID != o.HoldID {
				t.Errorf("tour.created names hold %q, want the checkout's %q", e.HoldID, o.HoldID)
			}
		}},
		{events.TypeTourUnassigned, "unassigned", "", nil},
		{events.TypeTourScheduled, "scheduled", "r-1", nil},
		{events.TypeTourRescheduled, "pending", "", func(t *testing.T) {
			e := outboxtest.Data[events.TourRescheduled](t, h.db, events.TypeTourRescheduled)[0]
			if e.HoldID == "" || !e.PreviousScheduledAt.Equal(start) || !e.ScheduledAt.Equal(time.Date(2026, 11, 28, 17, 0, 0, 0, time.UTC)) {
				t.Errorf("tour.rescheduled = hold %q from %v to %v", e.HoldID, e.PreviousScheduledAt, e.ScheduledAt)
			}
		}},
		{events.TypeTourScheduled, "scheduled", "r-1", nil},
		{events.TypeTourCancelled, "cancelled", "r-1", func(t *testing.T) {
			e := outboxtest.Data[events.TourCancelled](t, h.db, events.TypeTourCancelled)[0]
			if e.Reason != "customer" || e.CancelledBy != "cust-1" || e.Refund != usd(4000) || e.PaymentID != "pay-"+id {
				t.Errorf("tour.cancelled = %q by %q refunding %v of %q", e.Reason, e.CancelledBy, e.Refund, e.PaymentID)
			}
		}},
	}
	var got []string
	version := 0
	for _, ev := range outboxtest.Events(t, h.db) {
		got = append(got, ev.Type())
		i := len(got) - 1
		if i >= len(wants) {
			continue
		}
		var e events.Tour
		if err := ev.DataAs(&e); err != nil {
			t.Fatal(err)
		}
		w := wants[i]
		if ev.Type() != w.typ || ev.Subject() != id || e.TourID != id || e.CustomerID != "cust-1" || e.TimeZone != "America/Chicago" ||
			e.Status != w.status || e.RealtorID != w.realtor || len(e.Stops) != 1 || e.Stops[0].TourFee != usd(4000) {
			t.Errorf("event %d: %s about %s = %+v; want %s, %s with realtor %q", i, ev.Type(), ev.Subject(), e, w.typ, w.status, w.realtor)
		}
		if e.Version <= version {
			t.Errorf("event %d (%s) has version %d after %d", i, ev.Type(), e.Version, version)
		}
		version = e.Version
		if w.check != nil {
			w.check(t)
		}
	}
	if len(got) != len(wants) {
		t.Fatalf("events %v, want %d", got, len(wants))
	}

	done := h.book("cust-2", start)
	if err := h.assigned(done.ID, "r-2", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(start.Add(time.Hour))
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	completed := outboxtest.Data[events.TourCompleted](t, h.db, events.TypeTourCompleted)
	if len(completed) != 1 || completed[0].TourID != done.ID || completed[0].Status != "completed" || completed[0].RealtorID != "r-2" ||
		!completed[0].CompletedAt.Equal(start.Add(time.Hour)) {
		t.Fatalf("tour.completed = %+v, want the ended tour's with its realtor", completed)
	}
}

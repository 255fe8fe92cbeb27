package tour

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
)

// TestSweepGivesUpAnUnassignedTour: a paid tour no realtor takes is left
// alone until it has waited UnassignedWait on the service's clock, then the
// sweep cancels it once (reason no_realtor, by the system) with its whole
// fee to refund; the refund waits out a payment service that is down and is
// made once, under the tour's key, however often the cancellation arrives.
func TestSweepGivesUpAnUnassignedTour(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tr := h.book("cust", h.clock.Now().Add(72*time.Hour))
	if err := h.deliver(events.TypeAppointmentUnassigned, tr.ID,
		events.AppointmentUnassigned{TourID: tr.ID, CustomerID: "cust", Reason: "no_realtor", At: h.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	status := func() tour {
		t.Helper()
		got, err := h.store.Get(ctx, tr.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := status(); got.Status != statusUnassigned {
		t.Fatalf("after the unassignment: %s, want unassigned", got.Status)
	}

	h.clock.Advance(DefaultRules.UnassignedWait - time.Minute)
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := status(); got.Status != statusUnassigned || len(outboxtest.OfType(t, h.db, events.TypeTourCancelled)) != 0 {
		t.Fatalf("a minute before the wait is over: %s, %d cancellations; want it still waiting", got.Status,
			len(outboxtest.OfType(t, h.db, events.TypeTourCancelled)))
	}

	h.clock.Advance(time.Minute)
	for range 2 {
		if err := h.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := status()
	cancelled := outboxtest.Data[events.TourCancelled](t, h.db, events.TypeTourCancelled)
	if got.Status != statusCancelled || got.CancelReason != "no_realtor" || len(cancelled) != 1 {
		t.Fatalf("after the wait: %s (%q), %d cancellations; want one, no_realtor", got.Status, got.CancelReason, len(cancelled))
	}
	if c := cancelled[0]; c.CancelledBy != string(cancelBySystem) || c.Refund.Amount != 4000 || c.PaymentID == "" {
		t.Fatalf("cancellation %+v, want by the system with the whole 4000 to refund", c)
	}

	ev := outboxtest.OfType(t, h.db, events.TypeTourCancelled)[0]
	h.refunds.refuse = errors.New("payments down")
	if err := h.redeliver(ev); err == nil || h.refunds.count() != 0 {
		t.Fatalf("with payments down: %v, %d refunds; want an error to retry and none", err, h.refunds.count())
	}
	h.refunds.refuse = nil
	for range 2 {
		if err := h.redeliver(ev); err != nil {
			t.Fatal(err)
		}
	}
	if r, ok := h.refunds.byKey["tour-cancel:"+tr.ID]; h.refunds.count() != 1 || !ok || r.Amount.Amount != 4000 {
		t.Fatalf("refunds %+v, want 4000 once under tour-cancel:%s", h.refunds.byKey, tr.ID)
	}
}

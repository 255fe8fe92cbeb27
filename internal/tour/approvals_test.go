package tour

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// twoHomeOrder is a cart order for the Loop loft (prov-1) then the Wicker
// Park house (prov-2), $40 each, from start; confirm names the homes whose
// showing mode is confirm.
func twoHomeOrder(id string, start time.Time, confirm ...string) events.OrderPlaced {
	o := events.OrderPlaced{OrderID: id, CustomerID: "cust-1", TimeZone: "America/Chicago", ScheduledAt: start,
		EndsAt: start.Add(69 * time.Minute), Total: usd(8000), HoldID: id,
		Stops: []events.OrderStop{
			{ListingID: "l-1", ProviderID: "prov-1", Title: "Loft", Location: loop, TourFee: usd(4000), Arrive: start, Leave: start.Add(30 * time.Minute)},
			{ListingID: "l-2", ProviderID: "prov-2", Title: "House", Location: wicker, TourFee: usd(4000), Arrive: start.Add(39 * time.Minute), Leave: start.Add(69 * time.Minute)},
		}}
	for i, s := range o.Stops {
		if slices.Contains(confirm, s.ListingID) {
			o.Stops[i].Showing.Mode = events.ShowingConfirm
		}
	}
	return o
}

// tourStart is 10:00 in Chicago two days after the harness's clock.
var tourStart = time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)

func (h *harness) tour(id string) tour {
	h.t.Helper()
	tr, err := h.store.Get(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return tr
}

// booked is the appointment service's news that a realtor is booked.
func (h *harness) booked(tourID, realtorID string) {
	h.t.Helper()
	at := h.clock.Now()
	err := h.deliver(events.TypeAppointmentScheduled, tourID, events.AppointmentScheduled{
		Appointment: events.Appointment{AppointmentID: "ap-" + tourID, TourID: tourID, RealtorID: realtorID, StartsAt: tourStart},
		ScheduledAt: at})
	if err != nil {
		h.t.Fatal(err)
	}
}

// refundOwnEvents delivers the tour service's own published events of typ
// to it, twice each (redelivered), as the bus does.
func (h *harness) refundOwnEvents(typ string) {
	h.t.Helper()
	for _, ev := range outboxtest.OfType(h.t, h.db, typ) {
		for range 2 {
			if err := h.redeliver(ev); err != nil {
				h.t.Fatal(err)
			}
		}
	}
}

// TestApprovalWaitsThenGoesOn: a paid tour with a home in mode confirm
// awaits approval, its realtor booked but the customer not told it is
// booked; once both homes are approved (the first twice) it is scheduled
// and tour.scheduled, the customer's "booked", is published once.
func TestApprovalWaitsThenGoesOn(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	o := twoHomeOrder("o-1", tourStart, "l-1", "l-2")
	if err := placeAndPay(h.svc, o); err != nil {
		t.Fatal(err)
	}
	tr := h.tour("o-1")
	if tr.Status != statusAwaitingApproval || !tr.ApprovalDue.Equal(h.clock.Now().Add(4*time.Hour)) {
		t.Fatalf("paid tour: status %s, deadline %v", tr.Status, tr.ApprovalDue)
	}
	asked := outboxtest.Data[events.TourApprovalRequested](t, h.db, events.TypeTourApprovalRequested)
	if len(asked) != 1 || len(asked[0].Requests) != 2 || asked[0].Requests[1].ProviderID != "prov-2" || !asked[0].Deadline.Equal(tr.ApprovalDue) {
		t.Fatalf("approval requests = %+v", asked)
	}
	h.booked("o-1", "realtor-1")
	if tr := h.tour("o-1"); tr.Status != statusAwaitingApproval || tr.RealtorID != "realtor-1" {
		t.Fatalf("booked while waiting: %s %q", tr.Status, tr.RealtorID)
	}
	if n := len(outboxtest.OfType(t, h.db, events.TypeTourScheduled)); n != 0 {
		t.Fatalf("%d tour.scheduled (the customer's booked notice) before approval", n)
	}
	for _, l := range []string{"l-1", "l-1", "l-2"} {
		if _, err := h.svc.Approve(ctx, "o-1", l, "prov"); err != nil {
			t.Fatal(err)
		}
	}
	if tr := h.tour("o-1"); tr.Status != statusScheduled || tr.RealtorID != "realtor-1" {
		t.Fatalf("approved: %s %q", tr.Status, tr.RealtorID)
	}
	if n := len(outboxtest.OfType(t, h.db, events.TypeTourStopApproved)); n != 2 {
		t.Fatalf("%d stop_approved for two homes, one approved twice", n)
	}
	if sch := outboxtest.Data[events.TourScheduled](t, h.db, events.TypeTourScheduled); len(sch) != 1 || sch[0].RealtorID != "realtor-1" {
		t.Fatalf("tour.scheduled = %+v", sch)
	}
}

// TestDeclineOneOfTwo: a declined home leaves the tour, its fee is refunded
// once however often the news is delivered, the route is planned again
// from the same start, and the customer is told (tour.stop_declined).
func TestDeclineOneOfTwo(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if err := placeAndPay(h.svc, twoHomeOrder("o-2", tourStart, "l-1")); err != nil {
		t.Fatal(err)
	}
	h.booked("o-2", "realtor-1")
	for range 2 {
		if _, err := h.svc.Decline(ctx, "o-2", "l-1", "prov-1"); err != nil {
			t.Fatal(err)
		}
	}
	tr := h.tour("o-2")
	if tr.Status != statusScheduled || !slices.Equal(tr.ListingIDs(), []string{"l-2"}) || !tr.ScheduledAt.Equal(tourStart) ||
		tr.EndsAt.Sub(tr.ScheduledAt) != 30*time.Minute || !tr.Stops[0].Arrive.Equal(tourStart) {
		t.Fatalf("after the decline: %s %v %v-%v", tr.Status, tr.ListingIDs(), tr.ScheduledAt, tr.EndsAt)
	}
	declined := outboxtest.Data[events.TourStopDeclined](t, h.db, events.TypeTourStopDeclined)
	if len(declined) != 1 || declined[0].ListingID != "l-1" || declined[0].Refund != usd(4000) || declined[0].CustomerID != "cust-1" ||
		declined[0].Reason != declinedByProvider || len(declined[0].Stops) != 1 {
		t.Fatalf("stop_declined = %+v", declined)
	}
	h.refundOwnEvents(events.TypeTourStopDeclined)
	if h.refunds.count() != 1 || h.refunds.byKey[declineRefundKey("o-2", "l-1")].Amount.Amount != 4000 {
		t.Fatalf("refunds = %+v", h.refunds.byKey)
	}
	// The other home needed no approval: the tour went on, told once.
	if n := len(outboxtest.OfType(t, h.db, events.TypeTourScheduled)); n != 1 {
		t.Fatalf("%d tour.scheduled", n)
	}
}

// TestNoAnswerDeclinedAtDeadline: homes not answered by the deadline are
// declined by the worker at the deadline, once, across a restart, on both
// engines: a two-home tour loses the unanswered home (its fee refunded
// once), a one-home tour is cancelled and refunded in full once. An answer
// after the deadline is refused.
func TestNoAnswerDeclinedAtDeadline(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		h := newHarnessOn(t, open)
		ctx := context.Background()
		if err := placeAndPay(h.svc, twoHomeOrder("o-3", tourStart, "l-1")); err != nil {
			t.Fatal(err)
		}
		one := twoHomeOrder("o-4", tourStart.Add(3*time.Hour), "l-1")
		one.Stops, one.Total, one.EndsAt = one.Stops[:1], usd(4000), one.Stops[0].Leave.Add(3*time.Hour)
		one.Stops[0].Arrive, one.Stops[0].Leave = one.ScheduledAt, one.EndsAt
		if err := placeAndPay(h.svc, one); err != nil {
			t.Fatal(err)
		}
		due := h.tour("o-3").ApprovalDue
		h.clock.Set(due.Add(-time.Second))
		if err := h.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if tr := h.tour("o-3"); tr.Status != statusAwaitingApproval || len(tr.Stops) != 2 {
			t.Fatalf("a second before the deadline: %s %v", tr.Status, tr.ListingIDs())
		}
		h.restart()
		h.clock.Set(due)
		if _, err := h.svc.Approve(ctx, "o-3", "l-1", "prov-1"); !errors.Is(err, errApprovalClosed) {
			t.Fatalf("an answer at the deadline = %v", err)
		}
		for range 2 {
			if err := h.svc.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			h.restart()
		}
		if tr := h.tour("o-3"); tr.Status != statusPending || !slices.Equal(tr.ListingIDs(), []string{"l-2"}) {
			t.Fatalf("two homes after the deadline: %s %v", tr.Status, tr.ListingIDs())
		}
		if tr := h.tour("o-4"); tr.Status != statusCancelled || tr.CancelReason != "declined" || tr.Refund != usd(4000) {
			t.Fatalf("one home after the deadline: %s %q %v", tr.Status, tr.CancelReason, tr.Refund)
		}
		declined := outboxtest.Data[events.TourStopDeclined](t, h.db, events.TypeTourStopDeclined)
		if len(declined) != 2 || declined[0].Reason != declinedNoAnswer || declined[0].DeclinedBy != "system" {
			t.Fatalf("stop_declined = %+v", declined)
		}
		cancelled := outboxtest.Data[events.TourCancelled](t, h.db, events.TypeTourCancelled)
		if len(cancelled) != 1 || cancelled[0].Refund != usd(4000) || cancelled[0].TourID != "o-4" {
			t.Fatalf("tour.cancelled = %+v", cancelled)
		}
		h.refundOwnEvents(events.TypeTourStopDeclined)
		h.refundOwnEvents(events.TypeTourCancelled)
		if h.refunds.count() != 2 || h.refunds.byKey[declineRefundKey("o-3", "l-1")].Amount.Amount != 4000 ||
			h.refunds.byKey["tour-cancel:o-4"].Amount.Amount != 4000 {
			t.Fatalf("refunds = %+v", h.refunds.byKey)
		}
		if next, ok, err := h.store.NextApprovalDue(ctx); err != nil || ok {
			t.Fatalf("a deadline is left: %v %v %v", next, ok, err)
		}
	})
}

// TestWorkerWakesAtTheDeadline: the worker sleeps until the next deadline
// rather than its whole sweep interval (a day here).
func TestWorkerWakesAtTheDeadline(t *testing.T) {
	h := newHarness(t)
	h.sweep = 24 * time.Hour
	h.restart()
	if err := placeAndPay(h.svc, twoHomeOrder("o-5", tourStart, "l-1", "l-2")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.svc.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	if !h.clock.WaitForWaiters(1, time.After(10*time.Second)) {
		t.Fatal("the worker never slept")
	}
	h.clock.Set(h.tour("o-5").ApprovalDue)
	deadline := time.Now().Add(10 * time.Second)
	for h.tour("o-5").Status != statusCancelled {
		if time.Now().After(deadline) {
			t.Fatalf("not declined at the deadline: %s", h.tour("o-5").Status)
		}
		h.clock.WaitForWaiters(1, time.After(100*time.Millisecond))
	}
}

package tour

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
)

// TestPaymentFailureMakesNoTour: an order whose payment failed never
// becomes a tour, whichever of the cart's and the payment service's news
// comes first and whatever payment news follows; a failure reported after
// the tour was made leaves the tour as it is.
func TestPaymentFailureMakesNoTour(t *testing.T) {
	h := newHarness(t)
	o := h.order("cust-1", h.clock.Now().Add(48*time.Hour))
	failed := events.PaymentFailed{PaymentID: "pay-x", OrderID: o.OrderID, CustomerID: "cust-1", Amount: o.Total, Reason: "card_declined"}
	for _, step := range []func() error{
		func() error { return h.deliver(events.TypePaymentFailed, o.OrderID, failed) }, // before the order itself
		func() error { return h.deliver(events.TypeOrderPlaced, o.OrderID, o) },
		func() error {
			return h.deliver(events.TypePaymentSucceeded, o.OrderID, events.PaymentSucceeded{PaymentID: "pay-x", OrderID: o.OrderID, Amount: o.Total})
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.store.Get(context.Background(), o.OrderID); !errors.Is(err, errNotFound) {
		t.Fatalf("a tour for a failed payment: %v", err)
	}
	if n := len(outboxtest.OfType(t, h.db, events.TypeTourCreated)); n != 0 {
		t.Fatalf("%d tour.created for a failed payment", n)
	}

	paid := h.book("cust-1", h.clock.Now().Add(48*time.Hour))
	if err := h.deliver(events.TypePaymentFailed, paid.ID, events.PaymentFailed{OrderID: paid.ID, Reason: "late news"}); err != nil {
		t.Fatal(err)
	}
	if got := h.tour(paid.ID); got.Status != statusPending || got.Version != paid.Version {
		t.Fatalf("a late failure changed the paid tour: %s v%d, was v%d", got.Status, got.Version, paid.Version)
	}
}

// TestOnePaymentPaysForOneTour: a payment reported for a second order (the
// payment service pays one order) makes no second tour, and its event is
// taken (not retried for ever); an order without homes is refused for
// good.
func TestOnePaymentPaysForOneTour(t *testing.T) {
	h := newHarness(t)
	start := h.clock.Now().Add(48 * time.Hour)
	first, second := h.order("cust-1", start), h.order("cust-1", start)
	for _, o := range []events.OrderPlaced{first, second} {
		if err := h.deliver(events.TypeOrderPlaced, o.OrderID, o); err != nil {
			t.Fatal(err)
		}
		if err := h.deliver(events.TypePaymentSucceeded, o.OrderID,
			events.PaymentSucceeded{PaymentID: "pay-shared", OrderID: o.OrderID, Amount: o.Total}); err != nil {
			t.Fatalf("payment of %s: %v", o.OrderID, err)
		}
	}
	if n := len(outboxtest.OfType(t, h.db, events.TypeTourCreated)); n != 1 {
		t.Fatalf("%d tours for one payment, want 1", n)
	}
	if _, err := h.store.Get(context.Background(), second.OrderID); !errors.Is(err, errNotFound) {
		t.Fatalf("the second order has a tour: %v", err)
	}

	empty := h.order("cust-1", start)
	empty.Stops = nil
	if err := h.deliver(events.TypeOrderPlaced, empty.OrderID, empty); !isPermanentError(err) {
		t.Fatalf("an order without homes = %v, want a permanent error", err)
	}
}

// TestAssignmentNewsAppliedOnceInOrder: the appointment service's news
// about a tour is applied once per event and never overridden by older
// news arriving late; a decline by someone else's realtor or a release for
// another reason changes nothing; news about a tour that does not exist is
// refused for good.
func TestAssignmentNewsAppliedOnceInOrder(t *testing.T) {
	h := newHarness(t)
	tr := h.book("cust-1", h.clock.Now().Add(72*time.Hour))
	t0 := h.clock.Now()
	scheduled := func() int { return len(outboxtest.OfType(t, h.db, events.TypeTourScheduled)) }

	ev := mustEvent(t, h, events.TypeAppointmentScheduled, tr.ID, events.AppointmentScheduled{
		Appointment: events.Appointment{TourID: tr.ID, RealtorID: "r-1"}, ScheduledAt: t0.Add(time.Minute)})
	for range 3 {
		if err := h.redeliver(ev); err != nil {
			t.Fatal(err)
		}
	}
	got := h.tour(tr.ID)
	if got.Status != statusScheduled || got.RealtorID != "r-1" || got.Version != tr.Version+1 || scheduled() != 1 {
		t.Fatalf("after one assignment delivered thrice: %s %q v%d (was v%d), %d tour.scheduled", got.Status, got.RealtorID, got.Version, tr.Version, scheduled())
	}

	// Older news, late: the tour was unassigned before r-1 took it.
	if err := h.deliver(events.TypeAppointmentUnassigned, tr.ID, events.AppointmentUnassigned{TourID: tr.ID, At: t0}); err != nil {
		t.Fatal(err)
	}
	if err := h.released(tr.ID, "r-2", "declined", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := h.released(tr.ID, "r-1", "cancelled", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := h.tour(tr.ID); got.Status != statusScheduled || got.RealtorID != "r-1" || len(outboxtest.OfType(t, h.db, events.TypeTourUnassigned)) != 0 {
		t.Fatalf("older news or another's release changed the tour: %s %q", got.Status, got.RealtorID)
	}

	if err := h.released(tr.ID, "r-1", "declined", t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := h.tour(tr.ID); got.Status != statusPending || got.RealtorID != "" {
		t.Fatalf("after its realtor declined: %s %q, want pending without a realtor", got.Status, got.RealtorID)
	}
	if err := h.assigned(tr.ID, "r-2", t0.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := h.tour(tr.ID); got.Status != statusScheduled || got.RealtorID != "r-2" || scheduled() != 2 {
		t.Fatalf("after the next assignment: %s %q, %d tour.scheduled", got.Status, got.RealtorID, scheduled())
	}

	if err := h.assigned("no-such-tour", "r-1", t0); !isPermanentError(err) {
		t.Fatalf("news of an unknown tour = %v, want a permanent error", err)
	}
}

// TestRemovedHomesCancelTheirComingTours: a deleted listing cancels the
// active tours still to come that visit it, and a suspended provider's
// tours likewise, each once however often the news arrives, with the whole
// fee to refund; other tours, finished tours and news of other roles or
// statuses change nothing.
func TestRemovedHomesCancelTheirComingTours(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	start := h.clock.Now().Add(72 * time.Hour)
	coming := h.book("cust-1", start)
	over := h.book("cust-2", start)
	if _, err := h.svc.Cancel(ctx, over.ID, cancelByCustomer, "cust-2"); err != nil {
		t.Fatal(err)
	}
	elsewhere := h.order("cust-3", start)
	elsewhere.Stops[0].ListingID, elsewhere.Stops[0].ProviderID = "l-2", "prov-2"
	if err := placeAndPay(h.svc, elsewhere); err != nil {
		t.Fatal(err)
	}

	deleted := mustEvent(t, h, events.TypeListingDeleted, "l-1", events.ListingDeleted{ListingID: "l-1", ProviderID: "prov-1"})
	for range 2 {
		if err := h.redeliver(deleted); err != nil {
			t.Fatal(err)
		}
	}
	cancelled := outboxtest.Data[events.TourCancelled](t, h.db, events.TypeTourCancelled)
	if len(cancelled) != 2 || cancelled[1].TourID != coming.ID || cancelled[1].Reason != "listing_removed" ||
		cancelled[1].CancelledBy != "system" || cancelled[1].Refund.Amount != 4000 {
		t.Fatalf("cancellations %+v, want the customer's and one of %s for listing_removed refunding 4000", cancelled, coming.ID)
	}
	if got := h.tour(over.ID); got.CancelReason != "customer" {
		t.Fatalf("the cancelled tour was cancelled again: %q", got.CancelReason)
	}

	for _, u := range []events.UserStatusChanged{
		{UserID: "prov-2", Role: "provider", Status: "active"},
		{UserID: "prov-2", Role: "customer", Status: "suspended"},
	} {
		if err := h.deliver(events.TypeUserStatusChanged, u.UserID, u); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.tour(elsewhere.OrderID); got.Status != statusPending {
		t.Fatalf("news of no suspended provider changed %s: %s", got.ID, got.Status)
	}
	suspended := mustEvent(t, h, events.TypeUserStatusChanged, "prov-2", events.UserStatusChanged{UserID: "prov-2", Role: "provider", Status: "suspended"})
	for range 2 {
		if err := h.redeliver(suspended); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.tour(elsewhere.OrderID); got.Status != statusCancelled || got.CancelReason != "provider_suspended" || got.Refund.Amount != 4000 {
		t.Fatalf("the suspended provider's tour: %s %q %v", got.Status, got.CancelReason, got.Refund)
	}
	if n := len(outboxtest.OfType(t, h.db, events.TypeTourCancelled)); n != 3 {
		t.Fatalf("%d cancellations, want 3", n)
	}
}

// TestRealtorNameShownOnTheTour: the tour's customer sees the name of the
// realtor coming, the newest iam sent whatever the order of its news; a
// profile without a name is refused for good.
func TestRealtorNameShownOnTheTour(t *testing.T) {
	h := newHarness(t)
	c := h.server()
	tr := h.book("cust-1", h.clock.Now().Add(72*time.Hour))
	if err := h.assigned(tr.ID, "r-1", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, body := c.send(t, "GET", "/tours/"+tr.ID, customer("cust-1"), nil); body["realtor_id"] != "r-1" || body["realtor_name"] != nil {
		t.Fatalf("before any profile: %v", body)
	}
	// The first profile carries no time of its own: the event's counts.
	if err := h.deliver(events.TypeRealtorProfileChanged, "r-1", events.RealtorProfileChanged{RealtorID: "r-1", Name: "Rita"}); err != nil {
		t.Fatal(err)
	}
	if err := h.deliver(events.TypeRealtorProfileChanged, "r-1",
		events.RealtorProfileChanged{RealtorID: "r-1", Name: "Rita (older)", At: h.clock.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, body := c.send(t, "GET", "/tours/"+tr.ID, customer("cust-1"), nil); body["realtor_name"] != "Rita" {
		t.Fatalf("realtor_name = %v, want Rita", body["realtor_name"])
	}
	if err := h.deliver(events.TypeRealtorProfileChanged, "r-1", events.RealtorProfileChanged{RealtorID: "r-1"}); !isPermanentError(err) {
		t.Fatalf("a profile without a name = %v, want a permanent error", err)
	}
}

// failingOnce is the store failing the first write of one tour for an
// event, as a database that drops a connection midway.
type failingOnce struct {
	*SQLStore
	tourID string
	failed bool
}

func (s *failingOnce) Update(ctx context.Context, id, eventID string, change func(t *tour) ([]bus.Event, error)) (tour, error) {
	if id == s.tourID && eventID != "" && !s.failed {
		s.failed = true
		return tour{}, errors.New("connection lost")
	}
	return s.SQLStore.Update(ctx, id, eventID, change)
}

// TestRetryFinishesARemovedHomesCancellations: when cancelling a removed
// home's tours fails midway, the event is retried and the retry cancels
// the rest, each tour once.
func TestRetryFinishesARemovedHomesCancellations(t *testing.T) {
	h := newHarness(t)
	start := h.clock.Now().Add(72 * time.Hour)
	first, second := h.book("cust-1", start), h.book("cust-2", start)
	svc := h.serviceOn(&failingOnce{SQLStore: h.store, tourID: second.ID})
	deleted := mustEvent(t, h, events.TypeListingDeleted, "l-1", events.ListingDeleted{ListingID: "l-1", ProviderID: "prov-1"})
	if err := handleWith(t, svc, deleted); err == nil || isPermanentError(err) {
		t.Fatalf("a failure midway = %v, want an error to retry", err)
	}
	if a, b := h.tour(first.ID), h.tour(second.ID); a.Status != statusCancelled || b.Status != statusPending {
		t.Fatalf("after the failure: %s and %s, want the first cancelled only", a.Status, b.Status)
	}
	if err := handleWith(t, svc, deleted); err != nil {
		t.Fatal(err)
	}
	cancelled := outboxtest.Data[events.TourCancelled](t, h.db, events.TypeTourCancelled)
	if len(cancelled) != 2 || cancelled[0].TourID != first.ID || cancelled[1].TourID != second.ID {
		t.Fatalf("cancellations %+v, want one of each tour", cancelled)
	}
}

// TestNewRefusesAnIncompleteService: the service does not start without
// its store or any of its peers, nor with rules that cannot plan a day.
func TestNewRefusesAnIncompleteService(t *testing.T) {
	h := newHarness(t)
	full := Peers{Payments: h.refunds, Holds: h.desk, Slots: openBook{}, Access: h.access, Listings: h.access}
	for name, peers := range map[string]Peers{
		"payments": {Holds: h.desk, Slots: openBook{}, Access: h.access, Listings: h.access},
		"holds":    {Payments: h.refunds, Slots: openBook{}, Access: h.access, Listings: h.access},
		"slots":    {Payments: h.refunds, Holds: h.desk, Access: h.access, Listings: h.access},
		"access":   {Payments: h.refunds, Holds: h.desk, Slots: openBook{}, Listings: h.access},
		"listings": {Payments: h.refunds, Holds: h.desk, Slots: openBook{}, Access: h.access},
	} {
		if _, err := New(h.store, peers, Config{}); err == nil {
			t.Errorf("New without %s succeeded", name)
		}
	}
	if _, err := New(nil, full, Config{}); err == nil {
		t.Error("New without a store succeeded")
	}
	upsideDown := DefaultRules
	upsideDown.Plan.DayStart, upsideDown.Plan.DayEnd = upsideDown.Plan.DayEnd, upsideDown.Plan.DayStart
	if _, err := New(h.store, full, Config{Rules: upsideDown}); err == nil {
		t.Error("New with a day ending before it starts succeeded")
	}
	if _, err := New(h.store, full, Config{}); err != nil {
		t.Errorf("New with everything = %v", err)
	}
}

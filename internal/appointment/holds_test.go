package appointment

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

var holdStart = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)

func holdFor(id string, start time.Time) holdRequest {
	return holdRequest{HoldID: id, CustomerID: "cust-" + id, ListingIDs: []string{"l-" + id},
		Stops: []events.GeoPoint{{Lat: 41.88, Lng: -87.63}}, StartsAt: start, EndsAt: start.Add(time.Hour)}
}

// paidTour is the tour.created the tour service publishes for a checkout's
// order: the tour takes the order's (the hold's) id and names the hold.
func paidTour(t *testing.T, h holdRequest) bus.Event {
	t.Helper()
	ev, err := bus.NewEvent(context.Background(), events.TypeTourCreated, h.HoldID, events.TourCreated{Tour: events.Tour{
		TourID: h.HoldID, CustomerID: h.CustomerID, ScheduledAt: h.StartsAt, EndsAt: h.EndsAt, Status: "pending", Version: 1,
		HoldID: h.HoldID, Stops: []events.TourStop{{ListingID: h.ListingIDs[0], Location: h.Stops[0]}},
	}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestRaceForTheLastSlot: 20 checkouts want one window that one realtor
// can take, through two service instances sharing the database and a
// cache that lets everything through: exactly one is held, the other 19
// are told nobody is free. Repeated.
func TestRaceForTheLastSlot(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		rounds := 20 // internal/app repeats the race 50 times over HTTP
		if testing.Short() || t.Name() == "TestRaceForTheLastSlot/postgres" {
			rounds = 5
		}
		for round := range rounds {
			t.Run(fmt.Sprint("round", round), func(t *testing.T) { lastSlotRound(t, open, round) })
		}
	})
}

func lastSlotRound(t *testing.T, open storetest.Opener, round int) {
	db := open(t, fmt.Sprintf("hold%d", round))
	avail := &liar{realtors: []string{"only"}}
	instances := []*fixture{newFixture(t, db, avail), newFixture(t, db, avail)}
	var (
		wg          sync.WaitGroup
		mu          sync.Mutex
		held, taken int
	)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := instances[rand.IntN(2)].svc.PlaceHold(context.Background(), holdFor(fmt.Sprintf("order-%d", i), holdStart))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				held++
			case errors.Is(err, errNoRealtor):
				taken++
			default:
				t.Errorf("hold %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if held != 1 || taken != 19 {
		t.Fatalf("round %d: %d held, %d taken; want 1 and 19", round, held, taken)
	}
}

// TestHoldBecomesTheBooking: the tour made from a paid order is booked
// from its hold, with no search, on the held realtor; asking for the hold
// again answers it, for the same window only.
func TestHoldBecomesTheBooking(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t, "appointment"), &liar{realtors: []string{"r1", "r2"}})
	ctx := context.Background()
	req := holdFor("order-1", holdStart)
	h, err := f.svc.PlaceHold(ctx, req)
	if err != nil || h.Status != held || !h.ExpiresAt.Equal(f.clock.Now().Add(10*time.Minute)) {
		t.Fatalf("hold = %+v, %v", h, err)
	}
	again, err := f.svc.PlaceHold(ctx, req)
	if err != nil || again.RealtorID != h.RealtorID {
		t.Fatalf("the same hold again = %+v, %v", again, err)
	}
	other := req
	other.StartsAt, other.EndsAt = req.StartsAt.Add(time.Hour), req.EndsAt.Add(time.Hour)
	if _, err := f.svc.PlaceHold(ctx, other); !errors.Is(err, errHoldConflict) {
		t.Fatalf("the same id for another window = %v", err)
	}
	if err := f.handle(t, paidTour(t, req)); err != nil {
		t.Fatal(err)
	}
	a, err := f.store.Appointment(ctx, "order-1")
	if err != nil || a.Status != Scheduled || a.RealtorID != h.RealtorID || a.TourID != "order-1" || !a.ExpiresAt.IsZero() {
		t.Fatalf("booking = %+v, %v", a, err)
	}
	scheduled := outboxtest.OfType(t, f.db, events.TypeAppointmentScheduled)
	var e events.AppointmentScheduled
	if len(scheduled) != 1 || scheduled[0].DataAs(&e) != nil || e.HoldID != "order-1" || e.HoldRealtorID != h.RealtorID {
		t.Fatalf("scheduled = %+v", e)
	}
	// A booked hold cannot be given back, and stays booked past its expiry.
	if err := f.svc.ReleaseHold(ctx, "order-1", reasonHoldReleased); !errors.Is(err, errHoldBooked) {
		t.Fatalf("releasing a booked hold = %v", err)
	}
	f.clock.Advance(time.Hour)
	if err := f.svc.ExpireHolds(ctx); err != nil {
		t.Fatal(err)
	}
	if a, _ := f.store.Appointment(ctx, "order-1"); a.Status != Scheduled {
		t.Fatalf("a booking expired: %+v", a)
	}
}

// TestUnusableHoldIsReassigned: a realtor who stops taking tours between
// hold and booking is not booked; the tour goes to another realtor and the
// hold is given back.
func TestUnusableHoldIsReassigned(t *testing.T) {
	avail := &liar{realtors: []string{"r1", "r2"}}
	f := newFixture(t, storetest.OpenSQLite(t, "appointment"), avail)
	ctx := context.Background()
	req := holdFor("order-1", holdStart)
	h, err := f.svc.PlaceHold(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	profile, err := bus.NewEvent(ctx, events.TypeRealtorProfileChanged, h.RealtorID, events.RealtorProfileChanged{
		RealtorID: h.RealtorID, Status: "unavailable", Verified: true, Active: true, At: f.clock.Now()}, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.handle(t, profile); err != nil {
		t.Fatal(err)
	}
	if err := f.handle(t, paidTour(t, req)); err != nil {
		t.Fatal(err)
	}
	hold, _ := f.store.Appointment(ctx, "order-1")
	if hold.Status != Released || hold.ReleaseReason != reasonReassigned {
		t.Fatalf("hold = %+v, want released as reassigned", hold)
	}
	booked, err := f.store.List(ctx, filter{Status: Scheduled}, cursor{}, 10)
	if err != nil || len(booked) != 1 || booked[0].RealtorID == h.RealtorID || booked[0].TourID != "order-1" {
		t.Fatalf("bookings = %+v, %v; want the tour on the other realtor", booked, err)
	}
	if n := len(outboxtest.OfType(t, f.db, events.TypeHoldReleased)); n != 1 {
		t.Fatalf("%d hold.released, want 1", n)
	}
}

// TestHoldLapsesOnceAfterARestart: a hold nobody paid for lapses at its
// expiry even if the process that placed it is gone: a new instance on the
// same database releases it, once, and the realtor can be held again.
func TestHoldLapsesOnceAfterARestart(t *testing.T) {
	db := storetest.OpenSQLite(t, "appointment")
	avail := &liar{realtors: []string{"only"}}
	first := newFixture(t, db, avail)
	ctx := context.Background()
	if _, err := first.svc.PlaceHold(ctx, holdFor("order-1", holdStart)); err != nil {
		t.Fatal(err)
	}
	if _, err := first.svc.PlaceHold(ctx, holdFor("order-2", holdStart)); !errors.Is(err, errNoRealtor) {
		t.Fatalf("a second checkout for the held window = %v", err)
	}
	// The process dies; another starts on the same database, 9 minutes on:
	// nothing lapses yet.
	second := newFixture(t, db, avail)
	second.clock.Set(first.clock.Now().Add(9 * time.Minute))
	if err := second.svc.ExpireHolds(ctx); err != nil {
		t.Fatal(err)
	}
	if h, _ := second.store.Appointment(ctx, "order-1"); h.Status != held {
		t.Fatalf("lapsed early: %+v", h)
	}
	second.clock.Set(first.clock.Now().Add(10 * time.Minute))
	third := newFixture(t, db, avail) // and a third instance sweeping at the same time
	third.clock.Set(second.clock.Now())
	var wg sync.WaitGroup
	for _, f := range []*fixture{second, third} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.svc.ExpireHolds(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if h, _ := second.store.Appointment(ctx, "order-1"); h.Status != Released || h.ReleaseReason != reasonHoldExpired {
		t.Fatalf("hold = %+v, want expired", h)
	}
	if n := len(outboxtest.OfType(t, db, events.TypeHoldReleased)); n != 1 {
		t.Fatalf("%d hold.released, want exactly 1", n)
	}
	if _, err := second.svc.PlaceHold(ctx, holdFor("order-2", holdStart)); err != nil {
		t.Fatalf("the window after the lapse = %v", err)
	}
}

// TestReleasedHoldFreesTheRealtor: a declined card gives the hold back at
// once; giving it back twice is fine.
func TestReleasedHoldFreesTheRealtor(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t, "appointment"), &liar{realtors: []string{"only"}})
	ctx := context.Background()
	if _, err := f.svc.PlaceHold(ctx, holdFor("order-1", holdStart)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := f.svc.ReleaseHold(ctx, "order-1", reasonHoldReleased); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.ReleaseHold(ctx, "never-held", reasonHoldReleased); err != nil {
		t.Fatalf("releasing an unknown hold = %v", err)
	}
	if _, err := f.svc.PlaceHold(ctx, holdFor("order-2", holdStart)); err != nil {
		t.Fatalf("after the release = %v", err)
	}
}

// TestTourMovesWithinItsOwnRealtorsTime: a tour moved half an hour later,
// with the only realtor around, keeps that realtor: its new time overlaps
// only its own booking, which the move replaces. Another tour's booking
// still blocks.
func TestTourMovesWithinItsOwnRealtorsTime(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t, "appointment"), &liar{realtors: []string{"only"}})
	ctx := context.Background()
	if err := f.handle(t, tourCreated(t, "t1", holdStart)); err != nil {
		t.Fatal(err)
	}
	if a, err := f.store.Booking(ctx, "t1"); err != nil || a.RealtorID != "only" {
		t.Fatalf("booking = %+v, %v", a, err)
	}
	later := holdRequest{HoldID: "move-1", TourID: "t1", CustomerID: "cust-t1", ListingIDs: []string{"l-t1"},
		Stops: []events.GeoPoint{{Lat: 41.88, Lng: -87.63}}, StartsAt: holdStart.Add(30 * time.Minute), EndsAt: holdStart.Add(90 * time.Minute)}
	h, err := f.svc.PlaceHold(ctx, later)
	if err != nil || h.RealtorID != "only" || h.TourID != "t1" {
		t.Fatalf("moving the tour = %+v, %v", h, err)
	}
	other := holdFor("order-2", holdStart.Add(30*time.Minute))
	if _, err := f.svc.PlaceHold(ctx, other); !errors.Is(err, errNoRealtor) {
		t.Fatalf("another checkout over the tour's time = %v", err)
	}
}

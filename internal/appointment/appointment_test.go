package appointment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

func TestRank(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	got := rank([]Candidate{
		{RealtorID: "busy-recent", LastBooked: t0.Add(48 * time.Hour), DistanceKM: 1},
		{RealtorID: "never-far", DistanceKM: 20},
		{RealtorID: "never-near", DistanceKM: 2},
		{RealtorID: "old-many", LastBooked: t0, WeekBookings: 5, DistanceKM: 1},
		{RealtorID: "old-few", LastBooked: t0, WeekBookings: 1, DistanceKM: 9},
	})
	want := []string{"never-near", "never-far", "old-few", "old-many", "busy-recent"}
	for i, c := range got {
		if c.RealtorID != want[i] {
			t.Fatalf("rank = %v, want %v", ids(got), want)
		}
	}
}

func ids(cs []Candidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.RealtorID
	}
	return out
}

func TestWeekOf(t *testing.T) {
	start, end := weekOf(time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC)) // a Sunday
	if start != time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) || end != start.AddDate(0, 0, 7) {
		t.Fatalf("week = %v..%v", start, end)
	}
}

// liar is an availability cache that says every realtor is free and lets
// every hold through: the database alone must prevent double bookings.
type liar struct {
	realtors []string
	mu       sync.Mutex
	released int
}

func (l *liar) Search(context.Context, []events.GeoPoint, time.Time, time.Time, int) ([]clients.Candidate, error) {
	out := make([]clients.Candidate, len(l.realtors))
	for i, r := range l.realtors {
		out[i] = clients.Candidate{RealtorID: r, DistanceKM: float64(i)}
	}
	return out, nil
}
func (l *liar) Reserve(context.Context, string, string, time.Time, time.Time) error { return nil }
func (l *liar) Release(context.Context, string, string, time.Time, time.Time) error {
	l.mu.Lock()
	l.released++
	l.mu.Unlock()
	return nil
}

type fixture struct {
	svc   *Service
	store *SQLStore
	db    *store.DB
	clock *clock.Fake
}

func newFixture(t *testing.T, db *store.DB, avail Availability) *fixture {
	t.Helper()
	ctx := context.Background()
	if err := outbox.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	c := clock.NewFake(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	st, err := NewSQLStore(ctx, db, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(st, avail, Config{Clock: c, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, store: st, db: db, clock: c}
}

func tourCreated(t *testing.T, id string, start time.Time) bus.Event {
	t.Helper()
	ev, err := bus.NewEvent(context.Background(), events.TypeTourCreated, id, events.TourCreated{Tour: events.Tour{
		TourID: id, CustomerID: "cust-" + id, ScheduledAt: start, EndsAt: start.Add(time.Hour), Status: "pending", Version: 1,
		Stops: []events.TourStop{{ListingID: "l-" + id, Location: events.GeoPoint{Lat: 41.88, Lng: -87.63}}},
	}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func (f *fixture) handle(t *testing.T, ev bus.Event) error {
	t.Helper()
	for _, sub := range f.svc.Subscriptions() {
		if h, ok := sub.Handlers[ev.Type()]; ok {
			return h(context.Background(), ev)
		}
	}
	t.Fatalf("no handler for %s", ev.Type())
	return nil
}

// TestNoDoubleBookingEvenIfTheCacheLies: 50 tours for one time, 5
// realtors, an availability cache that claims everyone is always free,
// processed concurrently by two service instances: exactly 5 tours get a
// realtor, none twice, the other 45 wait. Repeated 30 times on SQLite and
// 20 times on PostgreSQL, 5 with -short, each round sending the tours in a
// random order to randomly chosen instances.
func TestNoDoubleBookingEvenIfTheCacheLies(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		rounds := 30
		if testing.Short() {
			rounds = 5
		}
		if t.Name() == "TestNoDoubleBookingEvenIfTheCacheLies/postgres" {
			rounds = 20
		}
		for round := range rounds {
			t.Run(fmt.Sprint("round", round), func(t *testing.T) { contentionRound(t, open, round) })
		}
	})
}

func contentionRound(t *testing.T, open storetest.Opener, round int) {
	db := open(t, fmt.Sprintf("appt%d", round))
	avail := &liar{realtors: []string{"r1", "r2", "r3", "r4", "r5"}}
	a := newFixture(t, db, avail)
	b := newFixture(t, db, avail) // a second instance on the same database
	start := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for _, i := range rand.Perm(50) {
		f := a
		if rand.IntN(2) == 1 {
			f = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- f.handle(t, tourCreated(t, fmt.Sprintf("t%02d", i), start.Add(time.Duration(i%3)*time.Minute)))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	booked, err := a.store.List(context.Background(), filter{Status: Scheduled}, cursor{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(booked) != 5 {
		t.Fatalf("round %d: %d appointments, want 5", round, len(booked))
	}
	if clashes, err := a.store.Overlapping(context.Background()); err != nil || len(clashes) != 0 {
		t.Fatalf("round %d: overlapping appointments %v (%v)", round, clashes, err)
	}
	waiting, err := a.store.Pending(context.Background(), a.clock.Now(), 100)
	if err != nil || len(waiting) != 45 {
		t.Fatalf("round %d: %d waiting, want 45 (%v)", round, len(waiting), err)
	}
	if n := countOutbox(t, db, events.TypeAppointmentUnassigned); n != 45 {
		t.Fatalf("round %d: %d unassigned events, want 45 (one per waiting tour)", round, n)
	}
}

func countOutbox(t *testing.T, db *store.DB, typ string) int {
	return len(outboxtest.OfType(t, db, typ))
}

func TestRedeliveryAssignsOnce(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t, "appt"), &liar{realtors: []string{"r1", "r2"}})
	ev := tourCreated(t, "t1", time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC))
	for range 3 {
		if err := f.handle(t, ev); err != nil {
			t.Fatal(err)
		}
	}
	if n := countOutbox(t, f.db, events.TypeAppointmentScheduled); n != 1 {
		t.Fatalf("%d scheduled events, want 1", n)
	}
}

func TestDeclineReassignsToSomeoneElse(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t, "appt"), &liar{realtors: []string{"r1", "r2"}})
	ctx := context.Background()
	if err := f.handle(t, tourCreated(t, "t1", time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	list, _ := f.store.List(ctx, filter{}, cursor{}, 10)
	first := list[0]
	if _, err := f.svc.Decline(ctx, first.ID, "someone-else"); !errors.Is(err, errNotAllowed) {
		t.Fatalf("another realtor declining = %v", err)
	}
	if _, err := f.svc.Decline(ctx, first.ID, first.RealtorID); err != nil {
		t.Fatal(err)
	}
	active, _ := f.store.List(ctx, filter{Status: Scheduled}, cursor{}, 10)
	if len(active) != 1 || active[0].RealtorID == first.RealtorID {
		t.Fatalf("after decline: %+v, want one appointment with the other realtor", active)
	}
	// The second realtor declines too: nobody is left; the tour waits.
	f.clock.Advance(time.Second)
	if _, err := f.svc.Decline(ctx, active[0].ID, active[0].RealtorID); err != nil {
		t.Fatal(err)
	}
	r, _ := f.store.Request(ctx, "t1")
	if r.State != waiting || len(r.Declined) != 2 {
		t.Fatalf("request = %+v, want waiting with two declines", r)
	}
	if _, err := f.svc.Confirm(ctx, first.ID, first.RealtorID); !errors.Is(err, errReleased) {
		t.Fatalf("confirming a released appointment = %v", err)
	}
}

func TestCancelFreesTheRealtorForAWaitingTour(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t, "appt"), &liar{realtors: []string{"r1"}})
	ctx := context.Background()
	start := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	for _, id := range []string{"t1", "t2"} {
		if err := f.handle(t, tourCreated(t, id, start)); err != nil {
			t.Fatal(err)
		}
	}
	if r, _ := f.store.Request(ctx, "t2"); r.State != waiting {
		t.Fatalf("t2 = %s, want waiting", r.State)
	}
	cancelled, _ := bus.NewEvent(ctx, events.TypeTourCancelled, "t1", events.TourCancelled{Tour: events.Tour{TourID: "t1", Version: 2}, Reason: "customer"}, time.Now())
	if err := f.handle(t, cancelled); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.store.Request(ctx, "t2"); r.State != assigned {
		t.Fatalf("after t1 was cancelled, t2 = %s, want assigned", r.State)
	}
	if n := countOutbox(t, f.db, events.TypeAppointmentReleased); n != 1 {
		t.Fatalf("%d released events, want 1", n)
	}
}

package appointment

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestStatsEqualARecount: after a random sequence of bookings, holds,
// cancellations and declines (each reassigning the tour) over three weeks
// and six realtors, what Stats says of each realtor for each week equals a
// recount from every appointment the store lists: the latest created of
// their held or booked ones, and how many of those start in the week.
func TestStatsEqualARecount(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		realtors := []string{"r1", "r2", "r3", "r4", "r5", "r6", "never"}
		f := newFixture(t, open(t, "stats"), &liar{realtors: realtors[:6]})
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 20))
		first := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC) // a Monday
		startOf := func() time.Time {
			return first.Add(time.Duration(rng.IntN(21))*24*time.Hour + time.Duration(rng.IntN(16))*30*time.Minute)
		}
		var tours []string
		for i := range 120 {
			f.clock.Advance(time.Duration(1+rng.IntN(600)) * time.Second)
			switch op := rng.IntN(10); {
			case op < 5 || len(tours) == 0:
				id := fmt.Sprintf("t%03d", i)
				if err := f.handle(t, tourCreated(t, id, startOf())); err != nil {
					t.Fatal(err)
				}
				tours = append(tours, id)
			case op < 7:
				if _, err := f.svc.PlaceHold(ctx, holdFor(fmt.Sprintf("h%03d", i), startOf())); err != nil && !errors.Is(err, errNoRealtor) {
					t.Fatal(err)
				}
			case op < 8:
				id := tours[rng.IntN(len(tours))]
				ev, err := bus.NewEvent(ctx, events.TypeTourCancelled, id, events.TourCancelled{Tour: events.Tour{TourID: id, Version: 2}, Reason: "customer"}, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				if err := f.handle(t, ev); err != nil {
					t.Fatal(err)
				}
			default:
				a, err := f.store.Booking(ctx, tours[rng.IntN(len(tours))])
				if errors.Is(err, errNotFound) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.svc.Decline(ctx, a.ID, a.RealtorID); err != nil {
					t.Fatal(err)
				}
			}
		}
		all, err := f.store.List(ctx, filter{}, cursor{}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var released int
		for _, a := range all {
			if !a.Active() {
				released++
			}
		}
		if released == 0 || released == len(all) {
			t.Fatalf("%d of %d appointments released: the sequence should leave some of each", released, len(all))
		}
		for week := range 3 {
			weekStart, weekEnd := weekOf(first.AddDate(0, 0, 7*week))
			want := map[string]Candidate{}
			for _, a := range all {
				if !a.Active() {
					continue
				}
				c := want[a.RealtorID]
				c.RealtorID = a.RealtorID
				if a.CreatedAt.After(c.LastBooked) {
					c.LastBooked = a.CreatedAt
				}
				if !a.StartsAt.Before(weekStart) && a.StartsAt.Before(weekEnd) {
					c.WeekBookings++
				}
				want[a.RealtorID] = c
			}
			got, err := f.store.Stats(ctx, realtors, weekStart, weekEnd)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("week %d: Stats = %v, recount %v", week, got, want)
			}
			for id, w := range want {
				if g := got[id]; g.RealtorID != id || !g.LastBooked.Equal(w.LastBooked) || g.WeekBookings != w.WeekBookings {
					t.Fatalf("week %d, %s: Stats = %+v, recount %+v", week, id, g, w)
				}
			}
		}
	})
}

package appointment

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// searchCall is one availability search as the service made it.
type searchCall struct {
	points []events.GeoPoint
	limit  int
}

// areas is an availability cache whose realtors cover fixed sets of homes
// (by latitude) and are always free; it records every search.
type areas struct {
	covers map[string][]float64 // realtor -> latitudes of the homes they cover
	mu     sync.Mutex
	calls  []searchCall
}

func (a *areas) Search(_ context.Context, points []events.GeoPoint, _, _ time.Time, limit int) ([]clients.Candidate, error) {
	a.mu.Lock()
	a.calls = append(a.calls, searchCall{slices.Clone(points), limit})
	a.mu.Unlock()
	var out []clients.Candidate
	for _, id := range []string{"r1", "r2", "r3"} {
		every := true
		for _, p := range points {
			every = every && slices.Contains(a.covers[id], p.Lat)
		}
		if every {
			out = append(out, clients.Candidate{RealtorID: id, DistanceKM: 1})
		}
	}
	return out, nil
}
func (a *areas) Reserve(context.Context, string, string, time.Time, time.Time) error { return nil }
func (a *areas) Release(context.Context, string, string, time.Time, time.Time) error { return nil }

func tourOf(t *testing.T, f *fixture, id string, homes int) []events.GeoPoint {
	t.Helper()
	var stops []events.TourStop
	var points []events.GeoPoint
	for i := range homes {
		p := events.GeoPoint{Lat: float64(i), Lng: -87.63}
		points = append(points, p)
		stops = append(stops, events.TourStop{ListingID: fmt.Sprintf("l%d", i), Location: p})
	}
	start := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	ev, err := bus.NewEvent(context.Background(), events.TypeTourCreated, id, events.TourCreated{Tour: events.Tour{
		TourID: id, CustomerID: "cust-" + id, ScheduledAt: start, EndsAt: start.Add(time.Hour), Status: "pending", Version: 1,
		Stops: stops,
	}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.handle(t, ev); err != nil {
		t.Fatal(err)
	}
	return points
}

// TestAssignSearchesEveryHomeAtOnce: a tour's homes go to availability in
// one search (in route order, so the first home orders the answer), and
// the realtor assigned covers them all; a tour longer than one search may
// name is split into searches that all start at the first home, and only
// the realtors every search found are candidates.
func TestAssignSearchesEveryHomeAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name     string
		homes    int
		covers   map[string][]float64
		searches int
		want     string
	}{
		{"three homes", 3, map[string][]float64{"r1": {0, 1}, "r2": {0, 1, 2}, "r3": {1, 2}}, 1, "r2"},
		{"twelve homes", 12, map[string][]float64{
			"r1": {0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
			"r2": {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
			"r3": {0, 10, 11},
		}, 2, "r2"},
		{"nobody covers every home", 3, map[string][]float64{"r1": {0, 1}, "r3": {1, 2}}, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			avail := &areas{covers: tc.covers}
			f := newFixture(t, storetest.OpenSQLite(t, "appt"), avail)
			points := tourOf(t, f, "t1", tc.homes)
			if len(avail.calls) != tc.searches {
				t.Fatalf("%d searches, want %d: %+v", len(avail.calls), tc.searches, avail.calls)
			}
			var asked []events.GeoPoint
			for _, c := range avail.calls {
				if len(c.points) > clients.MaxSearchPoints || c.points[0] != points[0] || c.limit < 20 {
					t.Fatalf("search %+v: want at most %d points starting with the first home, and a limit of at least 20", c, clients.MaxSearchPoints)
				}
				asked = append(asked, c.points[1:]...)
			}
			if !slices.Equal(asked, points[1:]) {
				t.Fatalf("the searches named %v after the first home, want %v", asked, points[1:])
			}
			booked, err := f.store.List(context.Background(), filter{Status: Scheduled}, cursor{}, 10)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if len(booked) == 1 {
				got = booked[0].RealtorID
			}
			if len(booked) > 1 || got != tc.want {
				t.Fatalf("assigned %+v, want %q", booked, tc.want)
			}
		})
	}
}

// TestDeclinesWidenTheSearch: each realtor who declined a tour widens its
// next search by one, so that realtors who declined never fill the list
// of candidates a search returns; the tour goes to one who has not.
func TestDeclinesWidenTheSearch(t *testing.T) {
	avail := &areas{covers: map[string][]float64{"r1": {0}, "r2": {0}, "r3": {0}}}
	f := newFixture(t, storetest.OpenSQLite(t, "appt"), avail)
	tourOf(t, f, "t1", 1)
	ctx := context.Background()
	declined := map[string]bool{}
	for round := 1; round <= 2; round++ {
		booked, err := f.store.List(ctx, filter{Status: Scheduled}, cursor{}, 10)
		if err != nil || len(booked) != 1 {
			t.Fatalf("round %d: booked %+v (%v), want one", round, booked, err)
		}
		if declined[booked[0].RealtorID] {
			t.Fatalf("round %d: the tour went back to %s, who declined it", round, booked[0].RealtorID)
		}
		declined[booked[0].RealtorID] = true
		if _, err := f.svc.Decline(ctx, booked[0].ID, booked[0].RealtorID); err != nil {
			t.Fatal(err)
		}
		if last := avail.calls[len(avail.calls)-1]; last.limit != 20+round {
			t.Fatalf("after %d declines the search asked for %d, want %d", round, last.limit, 20+round)
		}
	}
}

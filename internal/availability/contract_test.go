package availability

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestIndexContract is the one suite both indexes pass: "memory" always,
// "redis" when OPENHOUSE_TEST_REDIS_URL is set.
func TestIndexContract(t *testing.T) {
	eachIndex(t, indexContract)
}

func indexContract(t *testing.T, open opener) {
	ctx := context.Background()
	put := func(t *testing.T, idx Index, rs ...Realtor) {
		t.Helper()
		for _, r := range rs {
			if err := idx.PutRealtor(ctx, r); err != nil {
				t.Fatalf("put %s: %v", r.ID, err)
			}
		}
	}
	search := func(t *testing.T, idx Index, q Query) []Candidate {
		t.Helper()
		cs, err := idx.Search(ctx, q)
		if err != nil {
			t.Fatalf("search %+v: %v", q, err)
		}
		return cs
	}
	found := func(t *testing.T, idx Index, p Point, start, end time.Time) []string {
		t.Helper()
		return ids(search(t, idx, Query{Point: p, Start: start, End: end}))
	}
	expect := func(t *testing.T, what string, got []string, want ...string) {
		t.Helper()
		if len(got) == 0 && len(want) == 0 {
			return
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}

	t.Run("nearest first, each within its own radius", func(t *testing.T) {
		idx := open(t, Options{})
		put(t, idx,
			realtorAt("d", north(downtown, 8), 10),
			realtorAt("a", north(downtown, 1), 5),
			realtorAt("c", north(downtown, 2), 1.5), // 2 km away, travels 1.5: no
			realtorAt("b", north(downtown, 3), 10),
			realtorAt("e", north(downtown, 30), 25), // 30 km away, travels 25: no
			realtorAt("f", north(downtown, 15), 15.01),
		)
		cs := search(t, idx, Query{Point: downtown})
		expect(t, "no window", ids(cs), "a", "b", "d", "f")
		for i, want := range []float64{1, 3, 8, 15} {
			if math.Abs(cs[i].DistanceKM-want) > 0.005 {
				t.Errorf("%s at %.4f km, want %v", cs[i].RealtorID, cs[i].DistanceKM, want)
			}
		}
		b := cs[1]
		if b.Status != StatusAvailable || b.TimeZone != "America/Chicago" || b.ServiceRadiusKM != 10 ||
			math.Abs(b.Location.Lat-north(downtown, 3).Lat) > 1e-5 || math.Abs(b.Location.Lng-downtown.Lng) > 1e-5 {
			t.Errorf("candidate b = %+v", b)
		}
		expect(t, "limit 2", ids(search(t, idx, Query{Point: downtown, Limit: 2})), "a", "b")
		expect(t, "within 5 km", ids(search(t, idx, Query{Point: downtown, MaxDistanceKM: 5})), "a", "b")
		expect(t, "with a window", found(t, idx, downtown, at("10:00"), at("11:00")), "a", "b", "d", "f")
		expect(t, "far away", ids(search(t, idx, Query{Point: Point{Lat: 40.7128, Lng: -74.006}})))
	})

	t.Run("rings: the nearest free realtors at any distance", func(t *testing.T) {
		idx := open(t, Options{})
		var want []string
		for i := 1; i <= 60; i++ {
			id := fmt.Sprintf("r%02d", i)
			put(t, idx, realtorAt(id, north(downtown, 0.6*float64(i)), 29.7))
			if i%3 == 0 {
				if err := idx.Reserve(ctx, id, "tour-"+id, at("10:30"), at("11:30")); err != nil {
					t.Fatal(err)
				}
			} else if 0.6*float64(i) <= 29.7 {
				want = append(want, id)
			}
		}
		expect(t, "limit 10", ids(search(t, idx, Query{Point: downtown, Start: at("10:00"), End: at("11:00"), Limit: 10})), want[:10]...)
		expect(t, "limit 30", ids(search(t, idx, Query{Point: downtown, Start: at("10:00"), End: at("11:00"), Limit: 30})), want[:30]...)
		expect(t, "no limit", found(t, idx, downtown, at("10:00"), at("11:00")), want...)
	})

	t.Run("only eligible realtors are ever returned", func(t *testing.T) {
		idx := open(t, Options{})
		p := north(downtown, 1)
		good := realtorAt("good", p, 10)
		unavailable := realtorAt("unavailable", p, 10)
		unavailable.Status = statusUnavailable
		unverified := realtorAt("unverified", p, 10)
		unverified.Verified = false
		suspended := realtorAt("suspended", p, 10)
		suspended.Active = false
		nowhere := realtorAt("nowhere", p, 10)
		nowhere.Location = nil
		noRadius := realtorAt("no-radius", p, 0)
		put(t, idx, good, unavailable, unverified, suspended, nowhere, noRadius)
		expect(t, "no window", ids(search(t, idx, Query{Point: downtown})), "good")
		expect(t, "window", found(t, idx, downtown, at("10:00"), at("11:00")), "good")

		later := good
		later.Active = false
		later.UpdatedAt = good.UpdatedAt.Add(time.Hour)
		put(t, idx, later)
		expect(t, "after suspension", ids(search(t, idx, Query{Point: downtown})))
		back := good
		back.UpdatedAt = later.UpdatedAt.Add(time.Hour)
		put(t, idx, back)
		expect(t, "after reactivation", ids(search(t, idx, Query{Point: downtown})), "good")
		if r, err := idx.Realtor(ctx, "suspended"); err != nil || r.Active || r.Eligible() {
			t.Fatalf("suspended realtor = %+v, %v", r, err)
		}
	})

	t.Run("an older profile never overwrites a newer one", func(t *testing.T) {
		idx := open(t, Options{})
		v1 := realtorAt("r", north(downtown, 1), 5)
		v2 := realtorAt("r", north(downtown, 20), 25)
		v2.UpdatedAt = v1.UpdatedAt.Add(time.Minute)
		put(t, idx, v2, v1)
		got, err := idx.Realtor(ctx, "r")
		if err != nil {
			t.Fatal(err)
		}
		if got.ServiceRadiusKM != 25 || !got.UpdatedAt.Equal(v2.UpdatedAt) || got.TimeZone != "America/Chicago" || len(got.WorkingHours) != 7 {
			t.Fatalf("after v2 then v1: %+v", got)
		}
		cs := search(t, idx, Query{Point: downtown})
		if len(cs) != 1 || math.Abs(cs[0].DistanceKM-20) > 0.005 {
			t.Fatalf("search after v2 then v1: %+v", cs)
		}
		zero := v1
		zero.UpdatedAt = time.Time{}
		zero.Status = statusUnavailable
		put(t, idx, zero)
		if got, _ := idx.Realtor(ctx, "r"); got.ServiceRadiusKM != 25 || got.Status != StatusAvailable {
			t.Fatalf("a profile without a time replaced a newer one: %+v", got)
		}
		same := v2
		same.ServiceRadiusKM = 21 // the same time again: applied (a replay, or a second change in one instant)
		put(t, idx, same)
		if got, _ := idx.Realtor(ctx, "r"); got.ServiceRadiusKM != 21 {
			t.Fatalf("a profile of the same time was not applied: %+v", got)
		}
		if _, err := idx.Realtor(ctx, "nobody"); !errors.Is(err, errNotFound) {
			t.Fatalf("unknown realtor: %v, want ErrNotFound", err)
		}
	})

	t.Run("the buffer widens every booking on both sides", func(t *testing.T) {
		idx := open(t, Options{Buffer: 30 * time.Minute})
		put(t, idx, realtorAt("r", north(downtown, 1), 10))
		if err := idx.Reserve(ctx, "r", "t1", at("09:00"), at("10:00")); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			from, to string
			free     bool
		}{
			{"10:15", "11:00", false}, // 15 minutes after: inside the buffer
			{"10:29", "11:00", false},
			{"10:30", "11:00", true}, // exactly the buffer
			{"08:00", "08:45", false},
			{"08:00", "08:30", true},
			{"09:15", "09:45", false}, // inside the tour
			{"08:00", "11:00", false}, // around the tour
		}
		for _, c := range cases {
			got := found(t, idx, downtown, at(c.from), at(c.to))
			if free := len(got) == 1; free != c.free {
				t.Errorf("search %s-%s: free=%v, want %v", c.from, c.to, free, c.free)
			}
		}
		for i, c := range cases {
			err := idx.Reserve(ctx, "r", fmt.Sprintf("probe-%d", i), at(c.from), at(c.to))
			if c.free != (err == nil) || (!c.free && !errors.Is(err, errTaken)) {
				t.Errorf("reserve %s-%s: %v, want free=%v", c.from, c.to, err, c.free)
			}
			if err == nil {
				if err := idx.Release(ctx, "r", fmt.Sprintf("probe-%d", i), time.Time{}, time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		bs, err := idx.Bookings(ctx, "r")
		if err != nil || len(bs) != 1 || bs[0].TourID != "t1" || !bs[0].Start.Equal(at("09:00")) || !bs[0].End.Equal(at("10:00")) {
			t.Fatalf("bookings after the probes: %+v, %v", bs, err)
		}
	})

	t.Run("a buffer of another length", func(t *testing.T) {
		idx := open(t, Options{Buffer: 10 * time.Minute})
		put(t, idx, realtorAt("r", north(downtown, 1), 10))
		if err := idx.Reserve(ctx, "r", "t1", at("09:00"), at("10:00")); err != nil {
			t.Fatal(err)
		}
		expect(t, "10:10", found(t, idx, downtown, at("10:10"), at("11:00")), "r")
		expect(t, "10:05", found(t, idx, downtown, at("10:05"), at("11:00")))
	})

	t.Run("reserve is idempotent per tour and moves a tour's hold", func(t *testing.T) {
		idx := open(t, Options{})
		put(t, idx, realtorAt("r", north(downtown, 1), 10))
		for range 2 {
			if err := idx.Reserve(ctx, "r", "t", at("10:00"), at("11:00")); err != nil {
				t.Fatalf("reserve the same tour again: %v", err)
			}
		}
		if bs, _ := idx.Bookings(ctx, "r"); len(bs) != 1 {
			t.Fatalf("bookings after two reserves of one tour: %+v", bs)
		}
		if err := idx.Reserve(ctx, "r", "t", at("14:00"), at("15:00")); err != nil {
			t.Fatalf("move the tour: %v", err)
		}
		bs, _ := idx.Bookings(ctx, "r")
		if len(bs) != 1 || !bs[0].Start.Equal(at("14:00")) {
			t.Fatalf("bookings after moving the tour: %+v", bs)
		}
		if err := idx.Reserve(ctx, "r", "u", at("10:00"), at("11:00")); err != nil {
			t.Fatalf("the old window was not freed: %v", err)
		}
		if err := idx.Reserve(ctx, "r", "t", at("10:30"), at("11:30")); !errors.Is(err, errTaken) {
			t.Fatalf("move onto another tour: %v, want ErrTaken", err)
		}
		bs, _ = idx.Bookings(ctx, "r")
		if len(bs) != 2 || bs[0].TourID != "u" || bs[1].TourID != "t" || !bs[1].Start.Equal(at("14:00")) {
			t.Fatalf("a refused move changed the bookings: %+v", bs)
		}
		if err := idx.Reserve(ctx, "r", "t", at("14:00"), at("15:30")); err != nil {
			t.Fatalf("lengthen the tour: %v", err)
		}
	})

	t.Run("release frees the slot", func(t *testing.T) {
		idx := open(t, Options{})
		put(t, idx, realtorAt("r", north(downtown, 1), 10))
		if err := idx.Reserve(ctx, "r", "t", at("10:00"), at("11:00")); err != nil {
			t.Fatal(err)
		}
		expect(t, "while held", found(t, idx, downtown, at("10:00"), at("11:00")))
		expect(t, "another time", found(t, idx, downtown, at("14:00"), at("15:00")), "r")
		// Releasing an old window of the tour keeps its current hold.
		if err := idx.Release(ctx, "r", "t", at("08:00"), at("09:00")); err != nil {
			t.Fatal(err)
		}
		expect(t, "after releasing another window", found(t, idx, downtown, at("10:00"), at("11:00")))
		if err := idx.Release(ctx, "r", "t", at("10:00"), at("11:00")); err != nil {
			t.Fatal(err)
		}
		expect(t, "after release", found(t, idx, downtown, at("10:00"), at("11:00")), "r")
		for _, rid := range []string{"r", "nobody"} {
			if err := idx.Release(ctx, rid, "t", time.Time{}, time.Time{}); err != nil {
				t.Fatalf("release again (%s): %v", rid, err)
			}
		}
		if err := idx.Reserve(ctx, "r", "u", at("10:00"), at("11:00")); err != nil {
			t.Fatalf("reserve the freed slot: %v", err)
		}
		if err := idx.Release(ctx, "r", "u", time.Time{}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if bs, err := idx.Bookings(ctx, "r"); err != nil || len(bs) != 0 {
			t.Fatalf("bookings after releasing everything: %+v, %v", bs, err)
		}
	})

	t.Run("50 concurrent reservations of one realtor: exactly one wins", func(t *testing.T) {
		idx := open(t, Options{})
		put(t, idx, realtorAt("r", north(downtown, 1), 10))
		const n = 50
		errs := make([]error, n)
		var wg sync.WaitGroup
		startLine := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-startLine
				start := at("10:00").Add(time.Duration(i) * time.Minute)
				errs[i] = idx.Reserve(ctx, "r", fmt.Sprintf("tour-%02d", i), start, start.Add(time.Hour))
			})
		}
		close(startLine)
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, errTaken):
				t.Errorf("reservation %d: %v", i, err)
			}
		}
		bs, _ := idx.Bookings(ctx, "r")
		if won != 1 || len(bs) != 1 {
			t.Fatalf("%d reservations won, %d bookings held; want exactly 1", won, len(bs))
		}
	})

	t.Run("working hours in the realtor's own time", func(t *testing.T) {
		idx := open(t, Options{})
		r := realtorAt("r", north(downtown, 1), 10)
		r.WorkingHours = nil
		for d := 1; d <= 5; d++ {
			r.WorkingHours = append(r.WorkingHours, WorkingHours{Weekday: d, Start: "09:00", End: "17:00"})
		}
		r.WorkingHours = append(r.WorkingHours, WorkingHours{Weekday: 6, Start: "10:00", End: "12:00"},
			WorkingHours{Weekday: 6, Start: "13:00", End: "15:00"})
		put(t, idx, r)
		sat := func(hhmm string) time.Time { return at(hhmm).AddDate(0, 0, 4) }
		cases := []struct {
			name       string
			start, end time.Time
			free       bool
		}{
			{"inside", at("10:00"), at("11:00"), true},
			{"the whole day", at("09:00"), at("17:00"), true},
			{"starts early", at("08:30"), at("09:30"), false},
			{"ends late", at("16:30"), at("17:30"), false},
			{"across midnight", at("16:00"), at("16:00").Add(9 * time.Hour), false},
			{"saturday morning", sat("10:00"), sat("11:00"), true},
			{"saturday across the break", sat("11:30"), sat("13:30"), false},
			{"saturday afternoon", sat("13:00"), sat("15:00"), true},
			{"sunday", sat("10:00").AddDate(0, 0, 1), sat("11:00").AddDate(0, 0, 1), false},
		}
		for _, c := range cases {
			if got := found(t, idx, downtown, c.start, c.end); (len(got) == 1) != c.free {
				t.Errorf("%s: got %v, want free=%v", c.name, got, c.free)
			}
		}
		none := realtorAt("none", north(downtown, 2), 10)
		none.WorkingHours = nil
		put(t, idx, none)
		expect(t, "no working hours: never free", found(t, idx, downtown, at("10:00"), at("11:00")), "r")
		expect(t, "no working hours: listed without a window", ids(search(t, idx, Query{Point: downtown})), "r", "none")
	})

	t.Run("working hours across daylight-saving changes", func(t *testing.T) {
		idx := open(t, Options{})
		r := realtorAt("r", north(downtown, 1), 10)
		r.WorkingHours = []WorkingHours{
			{Weekday: 1, Start: "09:00", End: "17:00"},
			{Weekday: 7, Start: "09:00", End: "17:00"},
		}
		put(t, idx, r)
		utc := func(s string) time.Time {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				panic(err)
			}
			return t
		}
		cases := []struct {
			name       string
			start, end string
			free       bool
		}{
			// March 2026: CST (UTC-6) until Sunday 8 March 02:00, then CDT (UTC-5).
			{"mon 2 mar 09:00 CST", "2026-03-02T15:00:00Z", "2026-03-02T16:00:00Z", true},
			{"mon 2 mar 08:30 CST", "2026-03-02T14:30:00Z", "2026-03-02T15:30:00Z", false},
			{"mon 2 mar 16:00-17:00 CST", "2026-03-02T22:00:00Z", "2026-03-02T23:00:00Z", true},
			{"sun 8 mar 09:00 CDT, the day of the change", "2026-03-08T14:00:00Z", "2026-03-08T15:00:00Z", true},
			{"sun 8 mar 08:30 CDT", "2026-03-08T13:30:00Z", "2026-03-08T14:30:00Z", false},
			{"sun 8 mar 16:30-17:30 CDT", "2026-03-08T21:30:00Z", "2026-03-08T22:30:00Z", false},
			{"mon 9 mar 09:00 CDT", "2026-03-09T14:00:00Z", "2026-03-09T15:00:00Z", true},
			{"mon 9 mar 16:00-17:00 CDT", "2026-03-09T21:00:00Z", "2026-03-09T22:00:00Z", true},
			{"mon 9 mar 16:30-17:30 CDT", "2026-03-09T21:30:00Z", "2026-03-09T22:30:00Z", false},
			// November 2026: CDT until Sunday 1 November 02:00, then CST.
			{"mon 26 oct 09:00 CDT", "2026-10-26T14:00:00Z", "2026-10-26T15:00:00Z", true},
			{"sun 1 nov 09:00 CST, the day of the change", "2026-11-01T15:00:00Z", "2026-11-01T16:00:00Z", true},
			{"sun 1 nov 08:00 CST", "2026-11-01T14:00:00Z", "2026-11-01T15:00:00Z", false},
			{"mon 2 nov 08:00 CST", "2026-11-02T14:00:00Z", "2026-11-02T15:00:00Z", false},
			{"mon 2 nov 09:00 CST", "2026-11-02T15:00:00Z", "2026-11-02T16:00:00Z", true},
			{"mon 2 nov 16:30-17:00 CST", "2026-11-02T22:30:00Z", "2026-11-02T23:00:00Z", true},
			{"mon 2 nov 17:00-17:30 CST", "2026-11-02T23:00:00Z", "2026-11-02T23:30:00Z", false},
		}
		for _, c := range cases {
			if got := found(t, idx, downtown, utc(c.start), utc(c.end)); (len(got) == 1) != c.free {
				t.Errorf("%s: got %v, want free=%v", c.name, got, c.free)
			}
		}
	})

	t.Run("realtors in several time zones", func(t *testing.T) {
		idx := open(t, Options{})
		weekdays := func(r Realtor, tz string) Realtor {
			r.TimeZone = tz
			r.WorkingHours = nil
			for d := 1; d <= 5; d++ {
				r.WorkingHours = append(r.WorkingHours, WorkingHours{Weekday: d, Start: "09:00", End: "17:00"})
			}
			return r
		}
		put(t, idx,
			weekdays(realtorAt("chi", north(downtown, 1), 10), "America/Chicago"),
			weekdays(realtorAt("nyc", north(downtown, 2), 10), "America/New_York"),
			weekdays(realtorAt("utc", north(downtown, 3), 10), ""),
		)
		win := func(from, to string) (time.Time, time.Time) {
			a, _ := time.Parse(time.RFC3339, "2026-12-01T"+from+":00Z")
			b, _ := time.Parse(time.RFC3339, "2026-12-01T"+to+":00Z")
			return a, b
		}
		s, e := win("15:30", "16:30") // 09:30 Chicago, 10:30 New York, 15:30 UTC
		expect(t, "15:30Z", found(t, idx, downtown, s, e), "chi", "nyc", "utc")
		s, e = win("14:30", "15:30") // 08:30 Chicago
		expect(t, "14:30Z", found(t, idx, downtown, s, e), "nyc", "utc")
		s, e = win("21:30", "22:30") // 15:30 Chicago, 16:30 New York, 21:30 UTC
		expect(t, "21:30Z", found(t, idx, downtown, s, e), "chi")
		if r, _ := idx.Realtor(ctx, "utc"); r.TimeZone != "UTC" {
			t.Fatalf("an empty zone is kept as %q, want UTC", r.TimeZone)
		}
	})

	t.Run("bookings arrive before the profile", func(t *testing.T) {
		idx := open(t, Options{})
		if err := idx.Reserve(ctx, "late", "t", at("10:00"), at("11:00")); err != nil {
			t.Fatalf("reserve for a realtor not seen yet: %v", err)
		}
		put(t, idx, realtorAt("late", north(downtown, 1), 10))
		expect(t, "held window", found(t, idx, downtown, at("10:00"), at("11:00")))
		expect(t, "free window", found(t, idx, downtown, at("14:00"), at("15:00")), "late")
	})

	t.Run("prune drops only bookings that ended before", func(t *testing.T) {
		idx := open(t, Options{})
		for i, day := range []int{-3, -2, 0, 1} {
			s := at("10:00").AddDate(0, 0, day)
			if err := idx.Reserve(ctx, "r", fmt.Sprintf("t%d", i), s, s.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if err := idx.Reserve(ctx, "q", "old", at("10:00").AddDate(0, 0, -5), at("11:00").AddDate(0, 0, -5)); err != nil {
			t.Fatal(err)
		}
		n, err := idx.Prune(ctx, at("11:00").AddDate(0, 0, -1))
		if err != nil || n != 3 {
			t.Fatalf("prune: %d, %v; want 3", n, err)
		}
		bs, _ := idx.Bookings(ctx, "r")
		if len(bs) != 2 || bs[0].TourID != "t2" || bs[1].TourID != "t3" {
			t.Fatalf("bookings after prune: %+v", bs)
		}
		if bs, _ := idx.Bookings(ctx, "q"); len(bs) != 0 {
			t.Fatalf("bookings of q after prune: %+v", bs)
		}
	})

	t.Run("reset empties the index", func(t *testing.T) {
		idx := open(t, Options{})
		put(t, idx, realtorAt("r", north(downtown, 1), 10), realtorAt("s", north(downtown, 2), 10))
		if err := idx.Reserve(ctx, "r", "t", at("10:00"), at("11:00")); err != nil {
			t.Fatal(err)
		}
		if err := idx.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		expect(t, "after reset", ids(search(t, idx, Query{Point: downtown})))
		expect(t, "after reset, window", found(t, idx, downtown, at("10:00"), at("11:00")))
		if _, err := idx.Realtor(ctx, "r"); !errors.Is(err, errNotFound) {
			t.Fatalf("realtor after reset: %v", err)
		}
		if bs, err := idx.Bookings(ctx, "r"); err != nil || len(bs) != 0 {
			t.Fatalf("bookings after reset: %+v, %v", bs, err)
		}
		put(t, idx, realtorAt("r", north(downtown, 1), 10))
		expect(t, "filled again", found(t, idx, downtown, at("10:00"), at("11:00")), "r")
	})

	t.Run("a profile the index cannot use is kept but never offered", func(t *testing.T) {
		idx := open(t, Options{})
		good := realtorAt("r", north(downtown, 1), 10)
		put(t, idx, good)
		expect(t, "before", found(t, idx, downtown, at("10:00"), at("11:00")), "r")
		// Suspended, in a zone this machine does not know: the suspension
		// must still take effect.
		odd := good
		odd.TimeZone, odd.Active, odd.UpdatedAt = "Mars/Olympus", false, good.UpdatedAt.Add(time.Hour)
		put(t, idx, odd)
		expect(t, "after the odd suspension", ids(search(t, idx, Query{Point: downtown})))
		if r, err := idx.Realtor(ctx, "r"); err != nil || r.TimeZone != "Mars/Olympus" || r.Active {
			t.Fatalf("the odd profile was not kept: %+v, %v", r, err)
		}
		for i, breakIt := range []func(*Realtor){
			func(r *Realtor) { r.TimeZone = "Mars/Olympus" },
			func(r *Realtor) {
				r.WorkingHours = []WorkingHours{{Weekday: 8, Start: "09:00", End: "10:00"}}
			},
			func(r *Realtor) {
				r.WorkingHours = []WorkingHours{{Weekday: 2, Start: "10:00", End: "09:00"}}
			},
			func(r *Realtor) { r.Status = "on holiday" },
			func(r *Realtor) { r.Location = &Point{Lat: 95, Lng: 0} },
		} {
			r := realtorAt(fmt.Sprintf("bad-%d", i), north(downtown, 2), 10)
			breakIt(&r)
			put(t, idx, r)
		}
		expect(t, "bad profiles, no window", ids(search(t, idx, Query{Point: downtown})))
		expect(t, "bad profiles, window", found(t, idx, downtown, at("10:00"), at("11:00")))
	})

	t.Run("several points: each within the realtor's own radius, nearest to the first", func(t *testing.T) {
		idx := open(t, Options{})
		home2, south := north(downtown, 10), north(downtown, -2)
		put(t, idx,
			realtorAt("a", north(downtown, 5), 6),  // 5 and 5 km
			realtorAt("b", north(downtown, 1), 6),  // 9 km from home2: no
			realtorAt("c", north(downtown, 9), 10), // 9 and 1 km
			realtorAt("d", north(downtown, 4), 7),  // 4 and 6 km
			realtorAt("e", north(downtown, 6), 20), // booked at the window
			realtorAt("f", north(downtown, 60), 100),
		)
		if err := idx.Reserve(ctx, "e", "tour-e", at("10:30"), at("11:30")); err != nil {
			t.Fatal(err)
		}
		q := func(p Point, also ...Point) Query {
			return Query{Point: p, Also: also, Start: at("10:00"), End: at("11:00")}
		}
		cs := search(t, idx, q(downtown, home2))
		expect(t, "two homes", ids(cs), "d", "a", "c", "f")
		if math.Abs(cs[0].DistanceKM-4) > 0.005 {
			t.Errorf("d at %.4f km, want 4 (from the first point)", cs[0].DistanceKM)
		}
		cs = search(t, idx, q(home2, downtown))
		expect(t, "the same homes the other way round", ids(cs), "c", "a", "d", "f")
		if math.Abs(cs[0].DistanceKM-1) > 0.005 {
			t.Errorf("c at %.4f km, want 1 (from the first point)", cs[0].DistanceKM)
		}
		expect(t, "no window", ids(search(t, idx, Query{Point: downtown, Also: []Point{home2}})), "d", "a", "e", "c", "f")
		expect(t, "within 5.5 km of both", ids(search(t, idx, Query{Point: downtown, Also: []Point{home2}, MaxDistanceKM: 5.5})), "a")
		limited := q(downtown, home2)
		limited.Limit = 2
		expect(t, "limit 2", ids(search(t, idx, limited)), "d", "a")
		expect(t, "three homes", ids(search(t, idx, q(downtown, home2, south))), "d", "f")
		expect(t, "the same home twice", ids(search(t, idx, q(downtown, downtown))), ids(search(t, idx, q(downtown)))...)
		expect(t, "nobody covers both", ids(search(t, idx, q(downtown, north(downtown, 170)))))
	})

	t.Run("invalid arguments", func(t *testing.T) {
		idx := open(t, Options{})
		invalid := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, errInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", what, err)
			}
		}
		invalid("end before start", idx.Reserve(ctx, "r", "t", at("11:00"), at("10:00")))
		invalid("13 hour window", idx.Reserve(ctx, "r", "t", at("06:00"), at("19:00")))
		invalid("no window", idx.Reserve(ctx, "r", "t", time.Time{}, time.Time{}))
		invalid("no tour", idx.Reserve(ctx, "r", "", at("10:00"), at("11:00")))
		invalid("half a release window", idx.Release(ctx, "r", "t", at("10:00"), time.Time{}))
		invalid("no realtor id", idx.PutRealtor(ctx, realtorAt("", downtown, 10)))
		_, err := idx.Search(ctx, Query{Point: Point{Lat: 91}})
		invalid("latitude 91", err)
		_, err = idx.Search(ctx, Query{Point: downtown, Start: at("10:00")})
		invalid("start without end", err)
		_, err = idx.Search(ctx, Query{Point: downtown, Also: []Point{downtown, {Lat: 41, Lng: 181}}})
		invalid("a second point at longitude 181", err)
		_, err = idx.Search(ctx, Query{Point: downtown, Also: make([]Point, maxSearchPoints)})
		invalid("too many points", err)
		if _, err = idx.Search(ctx, Query{Point: downtown, Also: make([]Point, maxSearchPoints-1)}); err != nil {
			t.Errorf("%d points: %v", maxSearchPoints, err)
		}
		if bs, _ := idx.Bookings(ctx, "r"); len(bs) != 0 {
			t.Fatalf("an invalid reservation was stored: %+v", bs)
		}
	})

	slotContract(t, open)
}

// TestMemoryAndRedisAgree is a differential test: both indexes, fed the
// same metro area of 2,000 realtors, give the same answers to 400 varied
// queries (a third of them naming two or three points): the same realtors nearest first, distances to a metre (Redis
// keeps positions to about half a metre, so two realtors a hair apart may
// swap places).
func TestMemoryAndRedisAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 2,000 realtors twice")
	}
	mem := openMemory(t, Options{})
	rds := openRedis(t, Options{})
	qs := metro(t, mem, 2000, 0)
	if got := metro(t, rds, 2000, 0); len(got) != len(qs) {
		t.Fatal("the two metros differ")
	}
	ctx := context.Background()
	compared, nonEmpty, multiNonEmpty := 0, 0, 0
	for i, q := range qs[:400] {
		q.Limit = []int{0, 5, 20, 100}[i%4]
		if i%10 == 0 {
			q.Start, q.End = time.Time{}, time.Time{}
		}
		if i%3 == 1 { // a tour of two or three homes a few km apart
			for k := range 1 + i%2 {
				q.Also = append(q.Also, Point{Lat: q.Point.Lat + float64((i+k)%9-4)*0.01, Lng: q.Point.Lng + float64((i*7+k)%11-5)*0.012})
			}
		}
		if i%7 == 0 {
			q.MaxDistanceKM = 8
		}
		a, err := mem.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		b, err := rds.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != len(b) {
			t.Fatalf("query %d %+v:\nmemory %v\nredis  %v", i, q, ids(a), ids(b))
		}
		for k := range a {
			x, y := a[k], b[k]
			if x.RealtorID != y.RealtorID {
				// Two realtors a hair apart may swap places: Redis rounds
				// positions to about half a metre.
				if j := slices.IndexFunc(b, func(c Candidate) bool { return c.RealtorID == x.RealtorID }); j < 0 ||
					math.Abs(b[j].DistanceKM-y.DistanceKM) > 0.002 {
					t.Fatalf("query %d %+v, place %d:\nmemory %v\nredis  %v", i, q, k, ids(a), ids(b))
				} else {
					y = b[j]
				}
			}
			if math.Abs(x.DistanceKM-y.DistanceKM) > 0.001 || x.ServiceRadiusKM != y.ServiceRadiusKM || x.TimeZone != y.TimeZone {
				t.Fatalf("query %d: memory %+v, redis %+v", i, x, y)
			}
		}
		compared++
		if len(a) > 0 {
			nonEmpty++
			if len(q.Also) > 0 {
				multiNonEmpty++
			}
		}
	}
	if nonEmpty < compared/2 {
		t.Fatalf("only %d of %d answers have realtors", nonEmpty, compared)
	}
	if multiNonEmpty < 50 {
		t.Fatalf("only %d answers to several points have realtors", multiNonEmpty)
	}

	// Open slots: a week of a 15-minute grid for a third of the tours,
	// the same starts from both.
	partial := 0
	for i, q := range qs[:120] {
		if i%3 != 0 {
			continue
		}
		sq := weekOfSlots(q)
		a, err := mem.FreeStarts(ctx, sq)
		if err != nil {
			t.Fatal(err)
		}
		b, err := rds.FreeStarts(ctx, sq)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(a, b, time.Time.Equal) {
			t.Fatalf("slots of query %d %+v:\nmemory %s\nredis  %s", i, sq, clocks(a), clocks(b))
		}
		if n := countStarts(sq); len(a) > 0 && len(a) < n {
			partial++
		}
	}
	if partial < 20 {
		t.Fatalf("only %d of 40 slot answers have some starts free and some not", partial)
	}
}

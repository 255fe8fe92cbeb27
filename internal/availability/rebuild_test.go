package availability

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/bus/bustest"
	"github.com/openhouse/openhouse/internal/platform/clock"
)

// historyNow is when the tests' services start: before every tour of the
// history, so nothing is pruned.
var historyNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// runService runs svc.Run until the test ends.
func runService(t testing.TB, svc *Service) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
}

func newService(t testing.TB, idx Index, w Watcher, clk clock.Clock) *Service {
	t.Helper()
	svc, err := New(idx, w, Config{Clock: clk, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestRebuildFromStreams is must-show 5: an index filled from the streams,
// wiped and filled again by a replay (into a fresh index, and into the same
// one through Rebuild) answers every query the same.
func TestRebuildFromStreams(t *testing.T) {
	bustest.Run(t, func(t *testing.T, env bustest.Env) {
		b := env.Connect(t)
		h := publishHistory(t, b)
		eachIndex(t, func(t *testing.T, open opener) {
			ctx := context.Background()
			clk := clock.NewFake(historyNow)
			idxA := open(t, Options{})
			svcA := newService(t, idxA, b, clk)
			runService(t, svcA)
			eventually(t, "index A fed from the streams", func() bool { return svcA.Applied() == int64(h.events) })
			want := answers(t, idxA, h)
			h.check(t, idxA, want)

			if err := idxA.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			if r, ok := idxA.(*Redis); ok {
				if keys, err := r.Keys(ctx); err != nil || len(keys) != 0 {
					t.Fatalf("keys left after the wipe: %v, %v", keys, err)
				}
			}
			if got := answers(t, idxA, h); strings.Join(got, "") != "" {
				t.Fatalf("the wiped index still answers: %v", got)
			}

			idxB := open(t, Options{})
			svcB := newService(t, idxB, b, clk)
			runService(t, svcB)
			eventually(t, "index B fed from the streams", func() bool { return svcB.Applied() == int64(h.events) })
			compareAnswers(t, "fresh index", want, answers(t, idxB, h))

			if err := svcA.Rebuild(ctx); err != nil {
				t.Fatal(err)
			}
			eventually(t, "index A rebuilt", func() bool { return svcA.Applied() == int64(h.events) })
			compareAnswers(t, "rebuilt index", want, answers(t, idxA, h))
		})
	})
}

func compareAnswers(t *testing.T, what string, want, got []string) {
	t.Helper()
	for i := range want {
		if want[i] != got[i] {
			t.Errorf("%s, query %d: got %q, want %q", what, i, got[i], want[i])
		}
	}
}

// history is what publishHistory put on the streams, and what a correct
// index must make of it.
type history struct {
	events  int
	points  []Point
	windows [][2]time.Time // zero: no window
	// facts checked on the first index
	suspended, unavailable, moved, reordered string
	movedTo                                  Point
	held, released                           slot
}

type slot struct {
	realtor    string
	start, end time.Time
}

// publishHistory publishes a realistic history: realtors who register, set
// their profile and get verified; some move or change radius, one is
// suspended, one becomes unavailable, one profile change arrives after a
// newer one; tours are scheduled, some cancelled, some rescheduled, one
// re-assigned to another realtor.
func publishHistory(t *testing.T, b *bus.Bus) *history {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 9))
	h := &history{}
	publish := func(typ, subject string, data any, at time.Time) {
		t.Helper()
		ev, err := bus.NewEvent(ctx, typ, subject, data, at)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
		h.events++
	}
	profile := func(p events.RealtorProfileChanged) {
		publish(events.TypeRealtorProfileChanged, p.RealtorID, p, p.At)
	}
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	type realtor struct {
		p    events.RealtorProfileChanged
		free time.Time // next free time for tours on Tuesday
	}
	var realtors []*realtor
	for i := range 24 {
		id := fmt.Sprintf("realtor-%02d", i)
		hours := []events.WorkingHours{}
		for d := 1; d <= 5; d++ {
			hours = append(hours, events.WorkingHours{Weekday: d, Start: "09:00", End: "17:00"})
		}
		if i%3 == 0 {
			hours = append(hours, events.WorkingHours{Weekday: 6, Start: "10:00", End: "14:00"})
		}
		tz := "America/Chicago"
		if i == 7 {
			tz = "America/New_York"
		}
		// Registered, nothing set yet.
		p := events.RealtorProfileChanged{RealtorID: id, Name: "Realtor " + id, TimeZone: "UTC", Status: "unavailable",
			WorkingHours: []events.WorkingHours{}, At: base.Add(time.Duration(i) * time.Minute)}
		profile(p)
		// Sets the profile, then an admin verifies them.
		loc := north(downtown, rng.Float64()*16-8)
		loc.Lng += rng.Float64()*0.2 - 0.1
		p.Location = &events.GeoPoint{Lat: loc.Lat, Lng: loc.Lng}
		p.ServiceRadiusKM = float64(5 + rng.IntN(20))
		p.TimeZone, p.WorkingHours, p.Status = tz, hours, "available"
		p.At = p.At.Add(24 * time.Hour)
		profile(p)
		p.Verified, p.Active = true, true
		p.At = p.At.Add(24 * time.Hour)
		profile(p)
		realtors = append(realtors, &realtor{p: p, free: time.Date(2026, 12, 1, 9, 0, 0, 0, chicago)})
	}
	update := func(r *realtor, change func(*events.RealtorProfileChanged)) {
		change(&r.p)
		r.p.At = r.p.At.Add(72 * time.Hour)
		profile(r.p)
	}
	for i, r := range realtors {
		if i%5 == 1 {
			update(r, func(p *events.RealtorProfileChanged) { p.ServiceRadiusKM += 5 })
		}
	}
	h.moved = realtors[2].p.RealtorID
	h.movedTo = north(downtown, 3)
	update(realtors[2], func(p *events.RealtorProfileChanged) {
		p.Location = &events.GeoPoint{Lat: h.movedTo.Lat, Lng: h.movedTo.Lng}
	})
	h.suspended = realtors[4].p.RealtorID
	update(realtors[4], func(p *events.RealtorProfileChanged) { p.Active = false })
	h.unavailable = realtors[5].p.RealtorID
	update(realtors[5], func(p *events.RealtorProfileChanged) { p.Status = "unavailable" })
	// A newer profile published before an older one (two iam instances'
	// relays racing): the older must not win.
	h.reordered = realtors[6].p.RealtorID
	older := realtors[6].p
	older.At = older.At.Add(time.Hour)
	older.ServiceRadiusKM = 1
	newer := realtors[6].p
	newer.At = newer.At.Add(2 * time.Hour)
	newer.ServiceRadiusKM = 30
	profile(newer)
	profile(older)
	realtors[6].p = newer

	// Tours on Tuesday 1 December, Chicago time.
	tour := 0
	appointment := func(r *realtor, start time.Time, length time.Duration) events.Appointment {
		tour++
		return events.Appointment{
			AppointmentID: fmt.Sprintf("appt-%03d", tour), TourID: fmt.Sprintf("tour-%03d", tour),
			RealtorID: r.p.RealtorID, CustomerID: fmt.Sprintf("customer-%d", tour%7), ListingIDs: []string{"listing-1"},
			StartsAt: start.UTC(), EndsAt: start.Add(length).UTC(), Status: "scheduled",
		}
	}
	scheduled := func(a events.Appointment) {
		publish(events.TypeAppointmentScheduled, a.TourID, events.AppointmentScheduled{Appointment: a, ScheduledAt: historyNow}, historyNow)
	}
	released := func(a events.Appointment, reason string) {
		a.Status = "released"
		publish(events.TypeAppointmentReleased, a.TourID, events.AppointmentReleased{Appointment: a, Reason: reason, ReleasedAt: historyNow}, historyNow)
	}
	var booked []events.Appointment
	for n := range 40 {
		r := realtors[rng.IntN(len(realtors))]
		length := time.Duration(60+30*rng.IntN(3)) * time.Minute
		if r.free.Add(length).After(time.Date(2026, 12, 1, 17, 0, 0, 0, chicago)) {
			continue // the realtor's day is full
		}
		a := appointment(r, r.free, length)
		r.free = r.free.Add(length + 30*time.Minute + time.Duration(30*(n%2))*time.Minute)
		scheduled(a)
		booked = append(booked, a)
	}
	// Cancel every fourth; reschedule two to Wednesday; re-assign one.
	for i, a := range booked {
		switch {
		case i%4 == 0:
			released(a, "cancelled")
		case i == 1 || i == 6:
			released(a, "rescheduled")
			moved := a
			moved.StartsAt, moved.EndsAt = a.StartsAt.AddDate(0, 0, 1), a.EndsAt.AddDate(0, 0, 1)
			scheduled(moved)
		case i == 3:
			released(a, "declined")
			other := realtors[(slices.IndexFunc(realtors, func(r *realtor) bool { return r.p.RealtorID == a.RealtorID })+1)%len(realtors)]
			re := a
			re.RealtorID = other.p.RealtorID
			re.StartsAt, re.EndsAt = a.StartsAt.AddDate(0, 0, 2), a.EndsAt.AddDate(0, 0, 2)
			scheduled(re)
		}
	}
	// Facts to check: a cancelled tour's slot is free again, a held one not.
	for i, a := range booked {
		if i%4 == 0 && h.released.realtor == "" && eligibleAfter(a.RealtorID, h) {
			h.released = slot{a.RealtorID, a.StartsAt, a.EndsAt}
		}
		if i%4 == 2 && i != 6 && h.held.realtor == "" && eligibleAfter(a.RealtorID, h) {
			h.held = slot{a.RealtorID, a.StartsAt, a.EndsAt}
		}
	}
	if h.released.realtor == "" || h.held.realtor == "" {
		t.Fatal("the history has no released or held slot to check")
	}

	for _, km := range []float64{0, -6, -3, 2, 5, 9} {
		for _, dLng := range []float64{-0.05, 0, 0.07} {
			p := north(downtown, km)
			p.Lng += dLng
			h.points = append(h.points, p)
		}
	}
	day := func(d int, from, to string) [2]time.Time {
		s, _ := time.ParseInLocation("2006-01-02 15:04", fmt.Sprintf("2026-12-%02d %s", d, from), chicago)
		e, _ := time.ParseInLocation("2006-01-02 15:04", fmt.Sprintf("2026-12-%02d %s", d, to), chicago)
		return [2]time.Time{s, e}
	}
	h.windows = [][2]time.Time{{}, day(1, "09:00", "10:00"), day(1, "10:30", "12:00"), day(1, "13:00", "14:00"),
		day(1, "15:30", "17:00"), day(2, "09:30", "11:00"), day(2, "14:00", "15:00"), day(3, "10:00", "11:00"),
		day(5, "10:00", "11:00"), day(6, "10:00", "11:00")}
	h.windows = append(h.windows, [2]time.Time{h.released.start, h.released.end}, [2]time.Time{h.held.start, h.held.end})
	return h
}

// eligibleAfter: a Chicago realtor whose profile the history leaves as it
// was first set.
func eligibleAfter(id string, h *history) bool {
	return id != h.suspended && id != h.unavailable && id != h.moved && id != h.reordered && id != "realtor-07"
}

// answers asks the index every query of the history: one line per query.
func answers(t *testing.T, idx Index, h *history) []string {
	t.Helper()
	var out []string
	for _, p := range h.points {
		for _, w := range h.windows {
			cs, err := idx.Search(context.Background(), Query{Point: p, Start: w[0], End: w[1]})
			if err != nil {
				t.Fatal(err)
			}
			var line []string
			for _, c := range cs {
				line = append(line, fmt.Sprintf("%s@%.3f", c.RealtorID, c.DistanceKM))
			}
			out = append(out, strings.Join(line, " "))
		}
	}
	return out
}

// check holds the first index to what the history means, so that a replay
// that agrees with a wrong index cannot pass.
func (h *history) check(t *testing.T, idx Index, got []string) {
	t.Helper()
	ctx := context.Background()
	all := strings.Join(got, " ")
	nonEmpty := 0
	for _, line := range got {
		if line != "" {
			nonEmpty++
		}
	}
	if nonEmpty < len(got)/2 || nonEmpty == len(got) {
		t.Fatalf("%d of %d answers have realtors: the history does not exercise the index", nonEmpty, len(got))
	}
	for _, id := range []string{h.suspended, h.unavailable} {
		if strings.Contains(all, id+"@") {
			t.Errorf("%s is ineligible but found", id)
		}
	}
	if r, err := idx.Realtor(ctx, h.reordered); err != nil || r.ServiceRadiusKM != 30 {
		t.Errorf("the reordered realtor has radius %v (%v), want the newer 30", r.ServiceRadiusKM, err)
	}
	if r, err := idx.Realtor(ctx, h.moved); err != nil || r.Location == nil || *r.Location != h.movedTo {
		t.Errorf("the moved realtor is at %+v (%v), want %+v", r.Location, err, h.movedTo)
	}
	free := func(s slot) bool {
		r, err := idx.Realtor(ctx, s.realtor)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := idx.Search(ctx, Query{Point: *r.Location, Start: s.start, End: s.end})
		if err != nil {
			t.Fatal(err)
		}
		return slices.Contains(ids(cs), s.realtor)
	}
	if !free(h.released) {
		t.Errorf("the cancelled slot %+v is not free", h.released)
	}
	if free(h.held) {
		t.Errorf("the held slot %+v is free", h.held)
	}
}

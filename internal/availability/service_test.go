package availability

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/bus/bustest"
	"github.com/openhouse/openhouse/internal/platform/clock"
)

func publish(t testing.TB, b *bus.Bus, typ, subject string, data any) {
	t.Helper()
	ev, err := bus.NewEvent(context.Background(), typ, subject, data, historyNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
}

func profileEvent(id string, p Point, radius float64, at time.Time) events.RealtorProfileChanged {
	var hours []events.WorkingHours
	for d := 1; d <= 7; d++ {
		hours = append(hours, events.WorkingHours{Weekday: d, Start: "08:00", End: "18:00"})
	}
	return events.RealtorProfileChanged{RealtorID: id, Name: id, Location: &events.GeoPoint{Lat: p.Lat, Lng: p.Lng},
		ServiceRadiusKM: radius, TimeZone: "America/Chicago", WorkingHours: hours, Status: "available",
		Verified: true, Active: true, At: at}
}

func appointmentOf(tour, realtor string, start, end time.Time) events.Appointment {
	return events.Appointment{AppointmentID: "a-" + tour, TourID: tour, RealtorID: realtor, CustomerID: "c",
		ListingIDs: []string{"l"}, StartsAt: start.UTC(), EndsAt: end.UTC(), Status: "scheduled"}
}

// syncBuffer is a log sink the test reads while the service writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestEventsFeedTheIndex: each event does what the catalogue says, and a
// scheduled appointment that clashes with the index is logged, not lost
// silently.
func TestEventsFeedTheIndex(t *testing.T) {
	eachIndex(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		b := bustest.Embedded(t).Connect(t)
		idx := open(t, Options{})
		logs := &syncBuffer{}
		svc, err := New(idx, b, Config{Clock: clock.NewFake(historyNow), Log: slog.New(slog.NewTextHandler(logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		runService(t, svc)
		free := func(start, end time.Time) []string {
			cs, err := idx.Search(ctx, Query{Point: downtown, Start: start, End: end})
			if err != nil {
				t.Fatal(err)
			}
			return ids(cs)
		}
		applied := int64(0)
		step := func(typ, subject string, data any) {
			t.Helper()
			publish(t, b, typ, subject, data)
			applied++
			eventually(t, typ+" applied", func() bool { return svc.Applied() == applied })
		}

		step(events.TypeRealtorProfileChanged, "r1", profileEvent("r1", north(downtown, 1), 10, profileTime))
		if got := free(at("10:00"), at("11:00")); !slices.Equal(got, []string{"r1"}) {
			t.Fatalf("after the profile: %v", got)
		}
		appt := appointmentOf("t1", "r1", at("10:00"), at("11:00"))
		step(events.TypeAppointmentScheduled, "t1", events.AppointmentScheduled{Appointment: appt, ScheduledAt: historyNow})
		if got := free(at("10:00"), at("11:00")); len(got) != 0 {
			t.Fatalf("after scheduling: %v", got)
		}
		clash := appointmentOf("t2", "r1", at("10:30"), at("11:30"))
		step(events.TypeAppointmentScheduled, "t2", events.AppointmentScheduled{Appointment: clash, ScheduledAt: historyNow})
		if !strings.Contains(logs.String(), "overlaps another hold") || !strings.Contains(logs.String(), "tour_id=t2") {
			t.Fatalf("the clash was not logged: %s", logs.String())
		}
		// Released for a window the tour no longer holds: the hold stays.
		old := appt
		old.StartsAt, old.EndsAt = at("08:00").UTC(), at("09:00").UTC()
		step(events.TypeAppointmentReleased, "t1", events.AppointmentReleased{Appointment: old, Reason: "rescheduled", ReleasedAt: historyNow})
		if got := free(at("10:00"), at("11:00")); len(got) != 0 {
			t.Fatalf("an old window's release freed the current hold: %v", got)
		}
		step(events.TypeAppointmentReleased, "t1", events.AppointmentReleased{Appointment: appt, Reason: "cancelled", ReleasedAt: historyNow})
		if got := free(at("10:00"), at("11:00")); !slices.Equal(got, []string{"r1"}) {
			t.Fatalf("after the release: %v", got)
		}
		suspended := profileEvent("r1", north(downtown, 1), 10, profileTime.Add(time.Hour))
		suspended.Active = false
		step(events.TypeRealtorProfileChanged, "r1", suspended)
		if got := free(at("10:00"), at("11:00")); len(got) != 0 {
			t.Fatalf("after the suspension: %v", got)
		}
		bad := profileEvent("r2", north(downtown, 1), 10, profileTime)
		bad.TimeZone = "Mars/Olympus"
		step(events.TypeRealtorProfileChanged, "r2", bad)
		if !strings.Contains(logs.String(), "kept but never offered") {
			t.Fatalf("an unusable profile was not logged: %s", logs.String())
		}
	})
}

// TestRunPrunesOldBookings: Run drops bookings that ended more than
// KeepBookings ago, at start and every PruneEvery on the service's clock.
func TestRunPrunesOldBookings(t *testing.T) {
	ctx := context.Background()
	b := bustest.Embedded(t).Connect(t)
	idx := openMemory(t, Options{})
	clk := clock.NewFake(time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC))
	reserve := func(tour string, start time.Time) {
		if err := idx.Reserve(ctx, "r", tour, start, start.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	tours := func() []string {
		bs, _ := idx.Bookings(ctx, "r")
		var out []string
		for _, b := range bs {
			out = append(out, b.TourID)
		}
		return out
	}
	reserve("two-days-ago", clk.Now().Add(-48*time.Hour))
	reserve("an-hour-ago", clk.Now().Add(-2*time.Hour))
	reserve("tomorrow", clk.Now().Add(24*time.Hour))
	svc, err := New(idx, b, Config{Clock: clk, Log: quietLog(), KeepBookings: 24 * time.Hour, PruneEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	runService(t, svc)
	eventually(t, "the first prune", func() bool { return slices.Equal(tours(), []string{"an-hour-ago", "tomorrow"}) })
	if !clk.WaitForWaiters(1, time.After(10*time.Second)) {
		t.Fatal("Run is not waiting on its clock")
	}
	clk.Advance(23 * time.Hour)
	// "an-hour-ago" ended 24h ago now: still kept (strictly before the cut).
	if !clk.WaitForWaiters(1, time.After(10*time.Second)) {
		t.Fatal("Run is not waiting on its clock")
	}
	if got := tours(); !slices.Equal(got, []string{"an-hour-ago", "tomorrow"}) {
		t.Fatalf("after 23h: %v", got)
	}
	clk.Advance(time.Hour)
	eventually(t, "the hourly prune", func() bool { return slices.Equal(tours(), []string{"tomorrow"}) })
}

// flaky is an index whose PutRealtor fails while broken is set, as Redis
// does when it is unreachable.
type flaky struct {
	Index
	broken atomic.Bool
}

func (f *flaky) PutRealtor(ctx context.Context, r Realtor) error {
	if f.broken.Load() {
		return errors.New("connection refused")
	}
	return f.Index.PutRealtor(ctx, r)
}

// TestFailedEventTriggersRebuild: an event the index could not take (its
// backend failed) leaves it behind the stream; the next tick rebuilds it.
func TestFailedEventTriggersRebuild(t *testing.T) {
	ctx := context.Background()
	b := bustest.Embedded(t).Connect(t)
	idx := &flaky{Index: openMemory(t, Options{})}
	idx.broken.Store(true)
	clk := clock.NewFake(historyNow)
	svc := newService(t, idx, b, clk)
	publish(t, b, events.TypeRealtorProfileChanged, "r1", profileEvent("r1", north(downtown, 1), 10, profileTime))
	runService(t, svc)
	eventually(t, "the event handled", func() bool { return svc.Applied() == 1 })
	if _, err := idx.Realtor(ctx, "r1"); !errors.Is(err, errNotFound) {
		t.Fatalf("realtor after the failure: %v", err)
	}
	idx.broken.Store(false)
	if !clk.WaitForWaiters(1, time.After(10*time.Second)) {
		t.Fatal("Run is not waiting on its clock")
	}
	clk.Advance(time.Hour)
	eventually(t, "the rebuilt realtor", func() bool {
		_, err := idx.Realtor(ctx, "r1")
		return err == nil
	})
}

// TestRedisLossTriggersRebuild is the Redis restart of the blueprint's
// fault list: Redis comes back empty, the service notices within
// CheckEvery and refills it from the streams.
func TestRedisLossTriggersRebuild(t *testing.T) {
	ctx := context.Background()
	idx := openRedis(t, Options{})
	b := bustest.Embedded(t).Connect(t)
	clk := clock.NewFake(historyNow)
	svc := newService(t, idx, b, clk)
	publish(t, b, events.TypeRealtorProfileChanged, "r1", profileEvent("r1", north(downtown, 1), 10, profileTime))
	appt := appointmentOf("t1", "r1", at("10:00"), at("11:00"))
	publish(t, b, events.TypeAppointmentScheduled, "t1", events.AppointmentScheduled{Appointment: appt, ScheduledAt: historyNow})
	runService(t, svc)
	eventually(t, "fed", func() bool { return svc.Applied() == 2 })
	if err := idx.Reset(ctx); err != nil { // what a restart without persistence does
		t.Fatal(err)
	}
	if !clk.WaitForWaiters(1, time.After(10*time.Second)) {
		t.Fatal("Run is not waiting on its clock")
	}
	clk.Advance(10 * time.Second)
	eventually(t, "the index refilled", func() bool {
		bs, _ := idx.Bookings(ctx, "r1")
		_, err := idx.Realtor(ctx, "r1")
		return err == nil && len(bs) == 1
	})
}

// TestRedisServerCheck: the Redis the suites use is new enough, and the
// check reads its version.
func TestRedisServerCheck(t *testing.T) {
	if err := openRedis(t, Options{}).CheckServer(context.Background()); err != nil {
		t.Fatal(err)
	}
}

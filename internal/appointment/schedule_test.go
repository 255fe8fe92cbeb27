package appointment

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

func TestScheduleRules(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, chicago)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	s := schedule{TimeZone: "America/Chicago", MaxPerDay: 2,
		TimeOff: []span{{Start: at("2026-12-24 00:00"), End: at("2026-12-27 00:00")}},
		Busy:    []span{{Start: at("2026-12-01 10:00"), End: at("2026-12-01 11:00")}}}
	for _, tc := range []struct {
		name       string
		start, end time.Time
		sameDay    int
		ok         bool
	}{
		{"free", at("2026-12-01 12:00"), at("2026-12-01 13:00"), 0, true},
		{"ends as the busy block starts", at("2026-12-01 09:00"), at("2026-12-01 10:00"), 0, true},
		{"starts as the busy block ends", at("2026-12-01 11:00"), at("2026-12-01 12:00"), 0, true},
		{"overlaps the busy block by a minute", at("2026-12-01 10:59"), at("2026-12-01 12:00"), 0, false},
		{"inside the time off", at("2026-12-25 10:00"), at("2026-12-25 11:00"), 0, false},
		{"ends in the time off", at("2026-12-23 23:30"), at("2026-12-24 00:30"), 0, false},
		{"under the cap", at("2026-12-02 10:00"), at("2026-12-02 11:00"), 1, true},
		{"at the cap", at("2026-12-02 10:00"), at("2026-12-02 11:00"), 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Admits(tc.start, tc.end, tc.sameDay)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, errDoubleBooking)) {
				t.Fatalf("Admits = %v, want ok=%v (refusals are double bookings to callers)", err, tc.ok)
			}
		})
	}
	// The cap's day is the realtor's: 23 hours the day Chicago springs
	// forward, 25 the day it falls back.
	for _, tc := range []struct {
		at    time.Time
		hours int
	}{{at("2026-03-08 12:00"), 23}, {at("2026-11-01 12:00"), 25}, {at("2026-12-01 23:59"), 24}} {
		from, to := s.Day(tc.at)
		if got := to.Sub(from); got != time.Duration(tc.hours)*time.Hour || !from.Equal(at(tc.at.In(chicago).Format("2006-01-02")+" 00:00")) {
			t.Errorf("Day(%v) = %v..%v (%v), want local midnight and %d hours", tc.at, from, to, got, tc.hours)
		}
	}
}

// TestScheduleIsEnforcedUnderTheRealtorsLock: with a cache that says
// everyone is always free, the database alone keeps a realtor to their
// daily cap, out of their time off and their own calendar's busy blocks,
// for holds and bookings; time off over a booking is refused, listing it.
func TestScheduleIsEnforcedUnderTheRealtorsLock(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		f := newFixture(t, open(t, "schedule"), &liar{realtors: []string{"r1", "r2"}})
		now := f.clock.Now()
		day := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC) // 09:00 in Chicago
		if err := f.store.SetSchedule(ctx, "r1", schedule{TimeZone: "America/Chicago", MaxPerDay: 1, ScheduleAt: now}, true, now); err != nil {
			t.Fatal(err)
		}
		realtorOf := func(id string) string {
			a, err := f.store.Appointment(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return a.RealtorID
		}
		// Cap 1: the first tour of the day takes r1, the second (hours
		// later, well clear of the buffer) goes to r2; the next day r1 again.
		if _, err := f.svc.PlaceHold(ctx, holdFor("a", day)); err != nil || realtorOf("a") != "r1" {
			t.Fatalf("first hold: %v on %s, want r1", err, realtorOf("a"))
		}
		if _, err := f.svc.PlaceHold(ctx, holdFor("b", day.Add(4*time.Hour))); err != nil || realtorOf("b") != "r2" {
			t.Fatalf("second hold that day: %v on %s, want r2 (r1 is at their cap)", err, realtorOf("b"))
		}
		if _, err := f.svc.PlaceHold(ctx, holdFor("c", day.Add(24*time.Hour))); err != nil || realtorOf("c") != "r1" {
			t.Fatalf("next day: %v on %s, want r1", err, realtorOf("c"))
		}
		// r2 blocks the afternoon in their own calendar: with r1 capped,
		// nobody is left for a third tour that day.
		busy, err := bus.NewEvent(ctx, events.TypeRealtorBusyChanged, "r2", events.RealtorBusyChanged{RealtorID: "r2",
			Blocks: []events.BusyBlock{{Start: day.Add(6 * time.Hour), End: day.Add(8 * time.Hour)}}, At: now}, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.handle(t, busy); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.PlaceHold(ctx, holdFor("d", day.Add(6*time.Hour+30*time.Minute))); !errors.Is(err, errNoRealtor) {
			t.Fatalf("hold over r2's busy block with r1 capped: %v, want ErrNoRealtor", err)
		}
		// The block gone (a newer sync), r2 is free there again.
		gone, _ := bus.NewEvent(ctx, events.TypeRealtorBusyChanged, "r2", events.RealtorBusyChanged{RealtorID: "r2", At: now.Add(time.Minute)}, now)
		if err := f.handle(t, gone); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.PlaceHold(ctx, holdFor("d", day.Add(6*time.Hour+30*time.Minute))); err != nil || realtorOf("d") != "r2" {
			t.Fatalf("hold after the block went: %v, want r2", err)
		}
		// Time off over r1's hold "a": refused, listing it; nothing kept.
		off := schedule{TimeZone: "America/Chicago", MaxPerDay: 1, ScheduleAt: now.Add(time.Minute),
			TimeOff: []span{{Start: day.Add(-time.Hour), End: day.Add(2 * time.Hour)}}}
		var conflict *ScheduleConflict
		if err := f.store.SetSchedule(ctx, "r1", off, true, now); !errors.As(err, &conflict) || len(conflict.Tours) != 1 || conflict.Tours[0].ID != "a" {
			t.Fatalf("time off over a hold: %v, want a conflict listing a", err)
		}
		if s, _ := f.store.Schedule(ctx, "r1"); len(s.TimeOff) != 0 {
			t.Fatalf("refused time off was kept: %+v", s)
		}
		// Elsewhere it is kept, and a booking is never made in it.
		off.TimeOff = []span{{Start: day.Add(48 * time.Hour), End: day.Add(72 * time.Hour)}}
		if err := f.store.SetSchedule(ctx, "r1", off, true, now); err != nil {
			t.Fatal(err)
		}
		f.svc = mustRebuild(t, f) // a fresh instance reads the same rows
		if _, err := f.svc.PlaceHold(ctx, holdFor("e", day.Add(50*time.Hour))); err != nil || realtorOf("e") != "r2" {
			t.Fatalf("hold in r1's time off: %v on %s, want r2", err, realtorOf("e"))
		}
		// An older profile event does not undo the newer schedule.
		old, _ := bus.NewEvent(ctx, events.TypeRealtorProfileChanged, "r1", events.RealtorProfileChanged{RealtorID: "r1",
			Status: "available", Verified: true, Active: true, TimeZone: "America/Chicago", At: now.Add(-time.Hour)}, now)
		if err := f.handle(t, old); err != nil {
			t.Fatal(err)
		}
		if s, _ := f.store.Schedule(ctx, "r1"); len(s.TimeOff) != 1 || s.MaxPerDay != 1 {
			t.Fatalf("an older profile replaced the schedule: %+v", s)
		}
	})
}

func mustRebuild(t *testing.T, f *fixture) *Service {
	t.Helper()
	return newFixture(t, f.db, &liar{realtors: []string{"r1", "r2"}}).svc
}

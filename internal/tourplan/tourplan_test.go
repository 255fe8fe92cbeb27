package tourplan_test

import (
	"errors"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/tourplan"
)

var (
	loop     = tourplan.Home{ListingID: "loop", Location: events.GeoPoint{Lat: 41.8781, Lng: -87.6298}}
	wicker   = tourplan.Home{ListingID: "wicker", Location: events.GeoPoint{Lat: 41.9088, Lng: -87.6796}}
	evanston = tourplan.Home{ListingID: "evanston", Location: events.GeoPoint{Lat: 42.0451, Lng: -87.6877}}
	hydePark = tourplan.Home{ListingID: "hyde", Location: events.GeoPoint{Lat: 41.7943, Lng: -87.5907}}
)

func chicago(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func ids(r tourplan.Route) []string {
	out := make([]string, len(r.Stops))
	for i, s := range r.Stops {
		out[i] = s.ListingID
	}
	return out
}

func TestPlanOrdersAndTimesTheRoute(t *testing.T) {
	start := time.Date(2026, 11, 26, 16, 0, 0, 0, time.UTC)
	r := tourplan.Plan([]tourplan.Home{loop, evanston, hydePark, wicker}, start, tourplan.Default)
	// From the Loop, south first, then north in order: never zig-zagging.
	if got := ids(r); len(got) != 4 || got[0] != "loop" || got[1] != "hyde" || got[2] != "wicker" || got[3] != "evanston" {
		t.Fatalf("order = %v, want loop hyde wicker evanston", got)
	}
	if long := tourplan.ShortestOrder([]tourplan.Home{loop, evanston, hydePark, wicker, loop, evanston, hydePark, wicker, loop}); len(long) != 9 || long[0].ListingID != "loop" {
		t.Fatalf("nine homes = %v", long)
	}
	// Two homes 5.35 km apart: 30 min, 9 min driving (8.03 rounded up), 30 min.
	if two := tourplan.Plan([]tourplan.Home{loop, wicker}, start, tourplan.Default); two.Length() != 69*time.Minute {
		t.Fatalf("two homes last %v, want 69m", two.Length())
	}
	if !r.Start.Equal(start) || !r.Stops[0].Arrive.Equal(start) || r.Stops[0].Leave.Sub(r.Stops[0].Arrive) != 30*time.Minute {
		t.Fatalf("first stop = %+v", r.Stops[0])
	}
	for i := 1; i < len(r.Stops); i++ {
		drive := tourplan.DriveTime(r.Stops[i-1].Location, r.Stops[i].Location, 40)
		if !r.Stops[i].Arrive.Equal(r.Stops[i-1].Leave.Add(drive)) || drive%time.Minute != 0 || drive <= 0 {
			t.Fatalf("stop %d arrives %v, want %v after the last (%v)", i, r.Stops[i].Arrive, drive, r.Stops[i-1].Leave)
		}
	}
	if !r.End.Equal(r.Stops[3].Leave) || r.Length() < 2*time.Hour {
		t.Fatalf("end %v length %v", r.End, r.Length())
	}
	// A home's own visit length counts instead of the default.
	long := loop
	long.Visit = 45 * time.Minute
	if one := tourplan.Plan([]tourplan.Home{long}, start, tourplan.Default); one.Length() != 45*time.Minute {
		t.Fatalf("one home with a 45 min visit lasts %v", one.Length())
	}
	// Time keeps the order it is given.
	if kept := tourplan.Time([]tourplan.Home{loop, evanston, wicker}, start, tourplan.Default); ids(kept)[1] != "evanston" {
		t.Fatalf("Time reordered: %v", ids(kept))
	}
}

func TestCheckStart(t *testing.T) {
	loc := chicago(t)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) // 06:00 in Chicago
	cases := []struct {
		name   string
		start  time.Time
		length time.Duration
		ok     bool
	}{
		{"tomorrow 10:00", time.Date(2026, 11, 26, 10, 0, 0, 0, loc), time.Hour, true},
		{"starts at 08:00", time.Date(2026, 11, 26, 8, 0, 0, 0, loc), time.Hour, true},
		{"ends at 20:00", time.Date(2026, 11, 26, 19, 0, 0, 0, loc), time.Hour, true},
		{"ends after 20:00", time.Date(2026, 11, 26, 19, 15, 0, 0, loc), time.Hour, false},
		{"starts before 08:00", time.Date(2026, 11, 26, 7, 45, 0, 0, loc), time.Hour, false},
		{"less than an hour ahead", now.Add(59 * time.Minute), 30 * time.Minute, false},
		{"exactly an hour ahead is too early for the day", now.Add(time.Hour), 30 * time.Minute, false},
		{"past 90 days", time.Date(2027, 3, 1, 10, 0, 0, 0, loc), time.Hour, false},
	}
	for _, tc := range cases {
		err := tourplan.Default.CheckStart(tc.start, tc.length, loc, now)
		var rule tourplan.RuleError
		if (err == nil) != tc.ok || (err != nil && (!errors.As(err, &rule) || rule.Field != "scheduled_at")) {
			t.Errorf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// TestStartsAcrossDaylightSaving: the day's starts are 08:00 to 20:00 minus
// the tour on the homes' wall clock, whatever the UTC offset that day.
func TestStartsAcrossDaylightSaving(t *testing.T) {
	loc := chicago(t)
	now := time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC)
	// Saturday 7 March (CST, UTC-6), Sunday 8 March (the change at 02:00),
	// Monday 9 March (CDT, UTC-5).
	got := tourplan.Default.Starts(time.Date(2026, 3, 7, 0, 0, 0, 0, loc), 3, time.Hour, loc, now)
	if len(got) != 3 {
		t.Fatalf("ranges = %v", got)
	}
	for i, want := range []struct{ from, to string }{
		{"2026-03-07T14:00:00Z", "2026-03-08T01:00:00Z"},
		{"2026-03-08T13:00:00Z", "2026-03-09T00:00:00Z"},
		{"2026-03-09T13:00:00Z", "2026-03-10T00:00:00Z"},
	} {
		if got[i].From.Format(time.RFC3339) != want.from || got[i].To.Format(time.RFC3339) != want.to {
			t.Errorf("day %d = %v..%v, want %s..%s", i, got[i].From, got[i].To, want.from, want.to)
		}
	}
	n := 0
	tourplan.Default.Each(got, func(s time.Time) {
		n++
		if !tourplan.Default.OnGrid(s) || !tourplan.Default.InDay(s, time.Hour, loc) {
			t.Fatalf("start %v is off the grid or outside the day", s)
		}
	})
	if n != 3*45 { // 08:00..19:00 by 15 min
		t.Fatalf("%d starts, want %d", n, 3*45)
	}
	// Today: nothing before now plus the lead, and on the grid.
	now = time.Date(2026, 3, 9, 15, 7, 0, 0, time.UTC) // 10:07 CDT
	today := tourplan.Default.Starts(now, 1, time.Hour, loc, now)
	if len(today) != 1 || today[0].From.Format(time.RFC3339) != "2026-03-09T16:15:00Z" {
		t.Fatalf("today = %v, want from 11:15 CDT", today)
	}
	if off := time.Date(2026, 3, 9, 11, 10, 0, 0, loc); tourplan.Default.OnGrid(off) {
		t.Fatal("11:10 is on a 15 minute grid")
	}
}

func TestRulesValidate(t *testing.T) {
	if err := tourplan.Default.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := tourplan.Default
	bad.Step = 7 * time.Minute
	if bad.Validate() == nil {
		t.Fatal("a 7 minute step does not divide the hour")
	}
}

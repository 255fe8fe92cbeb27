package tourplan_test

import (
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// TestWindowsAcrossDaylightSaving: a weekly window is wall-clock time on
// the home's zone, so 10:00-14:00 is 16:00-20:00 UTC on a winter Saturday
// in Chicago and 15:00-19:00 UTC the next day, when clocks went forward at
// 02:00; a window over the missing hour keeps its wall-clock bounds and a
// visit across the change is measured in real time.
func TestWindowsAcrossDaylightSaving(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, time.UTC) }
	windows := []events.ShowingWindow{
		{Weekday: 6, Start: "10:00", End: "14:00"}, // Saturday 7 March: CST, UTC-6
		{Weekday: 7, Start: "10:00", End: "14:00"}, // Sunday 8 March: CDT, UTC-5 from 02:00
		{Weekday: 7, Start: "01:00", End: "04:00"}, // across the change: 2 h of real time
	}
	for _, tc := range []struct {
		name          string
		arrive, leave time.Time
		in            bool
	}{
		{"Saturday 10:00 CST", utc(7, 16, 0), utc(7, 16, 30), true},
		{"Saturday 09:30 CST", utc(7, 15, 30), utc(7, 16, 0), false},
		{"Saturday 13:30-14:00 CST", utc(7, 19, 30), utc(7, 20, 0), true},
		{"Sunday 10:00 CDT", utc(8, 15, 0), utc(8, 15, 30), true},
		{"Sunday 09:00 CDT (10:00 on Saturday's offset)", utc(8, 14, 0), utc(8, 14, 30), false},
		{"Sunday 13:30-14:00 CDT", utc(8, 18, 30), utc(8, 19, 0), true},
		{"Sunday 14:00-14:30 CDT (13:00 on Saturday's offset)", utc(8, 19, 0), utc(8, 19, 30), false},
		{"Sunday 01:45 CST to 03:15 CDT, 30 minutes", utc(8, 7, 45), utc(8, 8, 15), true},
		{"Sunday 03:30-04:00 CDT", utc(8, 8, 30), utc(8, 9, 0), true},
		{"Sunday 03:45-04:15 CDT", utc(8, 8, 45), utc(8, 9, 15), false},
		{"Monday: no window", utc(9, 16, 0), utc(9, 16, 30), false},
	} {
		if got := tourplan.InWindows(windows, tc.arrive, tc.leave, chicago); got != tc.in {
			t.Errorf("%s: in windows %v, want %v", tc.name, got, tc.in)
		}
	}
	// Back to standard time on 1 November: 10:00 is 16:00 UTC again, and
	// a window to 24:00 ends at the next local midnight.
	nov := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, time.UTC) }
	late := []events.ShowingWindow{{Weekday: 7, Start: "10:00", End: "24:00"}}
	if !tourplan.InWindows(late, nov(1, 16, 0), nov(1, 16, 30), chicago) || tourplan.InWindows(late, nov(1, 15, 0), nov(1, 15, 30), chicago) {
		t.Error("Sunday 1 November 10:00 CST is 16:00 UTC")
	}
	if !tourplan.InWindows(late, nov(2, 5, 30), nov(2, 6, 0), chicago) || tourplan.InWindows(late, nov(2, 5, 45), nov(2, 6, 15), chicago) {
		t.Error("a window to 24:00 ends at midnight CST, 06:00 UTC")
	}
}

// TestVisitBreaks: each rule, in order, and a visit that keeps them all.
func TestVisitBreaks(t *testing.T) {
	chicago, _ := time.LoadLocation("America/Chicago")
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, chicago)
	at := func(d, h int) time.Time { return time.Date(2026, 12, d, h, 0, 0, 0, chicago) }
	rules := events.Showing{MinNoticeMinutes: 24 * 60,
		Windows:   []events.ShowingWindow{{Weekday: 3, Start: "09:00", End: "17:00"}, {Weekday: 4, Start: "09:00", End: "17:00"}},
		Blackouts: []events.TimeRange{{Start: at(3, 12), End: at(3, 13)}}}
	for _, tc := range []struct {
		name          string
		s             events.Showing
		arrive, leave time.Time
		want          string
	}{
		{"keeps them all", rules, at(3, 10), at(3, 11), ""},
		{"under the notice", rules, at(2, 8), at(2, 9), tourplan.RuleNotice},
		{"outside the windows", rules, at(3, 17), at(3, 18), tourplan.RuleWindows},
		{"ends in the blackout", rules, at(3, 11).Add(30 * time.Minute), at(3, 12).Add(30 * time.Minute), tourplan.RuleBlackouts},
		{"ends as the blackout starts", rules, at(3, 11), at(3, 12), ""},
		{"mode none first", events.Showing{Mode: events.ShowingNone}, at(3, 10), at(3, 11), tourplan.RuleMode},
		{"no rules", events.Showing{}, at(1, 10), at(1, 11), ""},
	} {
		if got := tourplan.VisitBreaks(tc.s, tc.arrive, tc.leave, chicago, now); got != tc.want {
			t.Errorf("%s: breaks %q, want %q", tc.name, got, tc.want)
		}
	}
	if tourplan.MaxPerDayBroken(events.Showing{}, 100) || !tourplan.MaxPerDayBroken(events.Showing{MaxPerDay: 2}, 2) || tourplan.MaxPerDayBroken(events.Showing{MaxPerDay: 2}, 1) {
		t.Error("max per day: 0 is no limit; n booked of n is full")
	}
}

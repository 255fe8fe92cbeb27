package tour

import (
	"fmt"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// showingTour is a two-home tour in Chicago arriving at the Loft (l-1) at
// arrive and at the House (l-2) 39 minutes later.
func showingTour(arrive time.Time) tour {
	o := twoHomeOrder("t", arrive)
	tr := tour{ID: "t", Status: statusScheduled, TimeZone: "America/Chicago", ScheduledAt: arrive, EndsAt: o.EndsAt}
	for _, s := range o.Stops {
		tr.Stops = append(tr.Stops, stop{ListingID: s.ListingID, ProviderID: s.ProviderID, Arrive: s.Arrive, Leave: s.Leave})
	}
	return tr
}

// TestDayLimits: the hold of a move carries, for each home with a most
// per day, the home's local day of the visit, which is 25 hours long the
// day clocks go back.
func TestDayLimits(t *testing.T) {
	chicago, _ := time.LoadLocation("America/Chicago")
	rules := homeRules{"l-1": {MaxPerDay: 2}, "l-2": {Mode: events.ShowingConfirm}}
	for _, c := range []struct {
		name     string
		arrive   time.Time
		from, to time.Time
	}{
		{"an ordinary Friday", time.Date(2026, 11, 27, 23, 0, 0, 0, chicago),
			time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC), time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)},
		{"the day clocks go back", time.Date(2026, 11, 1, 10, 0, 0, 0, chicago),
			time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC), time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)},
	} {
		limits := showingTour(c.arrive).DayLimits(rules)
		if len(limits) != 1 || limits[0].ListingID != "l-1" || limits[0].Max != 2 || !limits[0].From.Equal(c.from) || !limits[0].To.Equal(c.to) {
			t.Errorf("%s: limits %+v, want l-1 at most 2 from %v to %v", c.name, limits, c.from, c.to)
		}
	}
	nowhere := showingTour(time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC))
	nowhere.TimeZone = "Mars/Olympus_Mons"
	if limits := nowhere.DayLimits(rules); limits != nil {
		t.Errorf("a tour in no known zone: limits %+v", limits)
	}
}

// TestFullOn: a tour is refused a day when one of its homes has its most
// showings on the local day of its visit, counted per home.
func TestFullOn(t *testing.T) {
	chicago, _ := time.LoadLocation("America/Chicago")
	// 23:00 on Friday in Chicago is Saturday in UTC: the home's day counts.
	tr := showingTour(time.Date(2026, 11, 27, 23, 0, 0, 0, chicago))
	rules := homeRules{"l-1": {MaxPerDay: 2}}
	for _, c := range []struct {
		counts tourplan.DayCounts
		full   bool
	}{
		{nil, false},
		{tourplan.DayCounts{"l-1": {"2026-11-27": 1}}, false},
		{tourplan.DayCounts{"l-1": {"2026-11-27": 2}}, true},
		{tourplan.DayCounts{"l-1": {"2026-11-28": 2}}, false},
		{tourplan.DayCounts{"l-2": {"2026-11-27": 9}}, false}, // no most per day
	} {
		if got := tr.FullOn(rules, c.counts); got != c.full {
			t.Errorf("counts %v: full %v, want %v", c.counts, got, c.full)
		}
	}
}

// TestShowingBreaks: the first rule a tour's visits break, naming the
// home; a home without rules (its listing gone) breaks none.
func TestShowingBreaks(t *testing.T) {
	chicago, _ := time.LoadLocation("America/Chicago")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tr := showingTour(time.Date(2026, 11, 27, 10, 0, 0, 0, chicago)) // Friday 10:00 and 10:39
	friday := []events.ShowingWindow{{Weekday: 5, Start: "10:30", End: "17:00"}}
	for _, c := range []struct {
		name  string
		rules homeRules
		want  string
	}{
		{"no rules", homeRules{}, "<nil>"},
		{"kept", homeRules{"l-1": {Windows: []events.ShowingWindow{{Weekday: 5, Start: "09:00", End: "17:00"}}}}, "<nil>"},
		{"the House's window", homeRules{"l-2": {Windows: friday}}, "<nil>"},
		{"the Loft's window", homeRules{"l-1": {Windows: friday}}, "l-1 windows"},
		{"the House's notice", homeRules{"l-2": {MinNoticeMinutes: 3 * 24 * 60}}, "l-2 min_notice_minutes"},
		{"the House not shown", homeRules{"l-2": {Mode: events.ShowingNone}}, "l-2 mode"},
	} {
		got := "<nil>"
		if e := tr.ShowingBreaks(c.rules, now); e != nil {
			got = fmt.Sprint(e.ListingID, " ", e.Rule)
			if e.Message == "" {
				t.Errorf("%s: no message", c.name)
			}
		}
		if got != c.want {
			t.Errorf("%s: breaks %s, want %s", c.name, got, c.want)
		}
	}
	tr.TimeZone = "Mars/Olympus_Mons"
	if e := tr.ShowingBreaks(homeRules{"l-1": {Mode: events.ShowingNone}}, now); e != nil {
		t.Errorf("a tour in no known zone: %+v", e)
	}
}

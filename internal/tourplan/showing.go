package tourplan

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/fault"
)

// This file applies a home's showing rules (events.Showing, its
// provider's) to a visit: the mode, the minimum notice, the weekly windows
// on the home's wall clock and the blackouts. The most showings per day
// depend on the home's other showings and are counted where holds are
// placed (appointment); MaxPerDayBroken is the rule itself.

// Showing rule names: what a refused checkout names (the `rule` of its
// problem) and what a booked tour breaks after the rules changed. They are
// the fields of the showing object.
const (
	RuleMode      = "mode"
	RuleNotice    = "min_notice_minutes"
	RuleWindows   = "windows"
	RuleBlackouts = "blackouts"
	RuleMaxPerDay = "max_per_day"
)

// TypeShowingRule is the problem type of a visit that breaks a home's
// showing rules (422), with `rule` and `listing_id`.
const TypeShowingRule = "urn:openhouse:problem:showing-rule"

// ShowingError is a visit that breaks a home's showing rules: the rule (a
// field of the showing object, the Rule names) and the home.
type ShowingError struct {
	Rule, ListingID, Message string
}

func (e ShowingError) Error() string {
	return "listing " + e.ListingID + ": showing rule " + e.Rule + ": " + e.Message
}

// Answer is a 422 of type TypeShowingRule naming the rule and the home.
func (e ShowingError) Answer() fault.Answer {
	return fault.Answer{Kind: fault.KindUnprocessable, Type: TypeShowingRule, Title: "Showing rule", Detail: e.Message,
		Extensions: map[string]any{"rule": e.Rule, "listing_id": e.ListingID}}
}

var clockPattern = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// ParseClock reads a window bound "HH:MM" as the time after midnight;
// "24:00" is accepted only as an end (end true).
func ParseClock(s string, end bool) (time.Duration, bool) {
	if end && s == "24:00" {
		return 24 * time.Hour, true
	}
	if !clockPattern.MatchString(s) {
		return 0, false
	}
	h, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[3:])
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}

// VisitLength is how long a visit of a home with these rules lasts under
// r: its own visit length, or the rules' default.
func VisitLength(s events.Showing, r Rules) time.Duration {
	if s.VisitMinutes > 0 {
		return time.Duration(s.VisitMinutes) * time.Minute
	}
	return r.Visit
}

// VisitBreaks names the showing rule a visit of the home from arrive to
// leave breaks, booked at now, the home being in loc; "" when it keeps
// them all (the most per day aside). The first broken rule is named, in
// the order mode, notice, windows, blackouts.
func VisitBreaks(s events.Showing, arrive, leave time.Time, loc *time.Location, now time.Time) string {
	if s.ModeOrAuto() == events.ShowingNone {
		return RuleMode
	}
	if s.MinNoticeMinutes > 0 && arrive.Before(now.Add(time.Duration(s.MinNoticeMinutes)*time.Minute)) {
		return RuleNotice
	}
	if len(s.Windows) > 0 && !InWindows(s.Windows, arrive, leave, loc) {
		return RuleWindows
	}
	for _, b := range s.Blackouts {
		if arrive.Before(b.End) && b.Start.Before(leave) {
			return RuleBlackouts
		}
	}
	return ""
}

// InWindows reports whether the visit from arrive to leave lies within one
// of the weekly windows of the local day it starts on. A window's bounds
// are wall-clock times of that date converted with loc's rules, so on a
// day that changes between standard and daylight time a 10:00-14:00
// window is still 10:00 to 14:00 on the home's clocks (three or five hours
// long on a day that gains or loses one inside it).
func InWindows(windows []events.ShowingWindow, arrive, leave time.Time, loc *time.Location) bool {
	local := arrive.In(loc)
	y, m, d := local.Date()
	weekday := isoWeekday(local.Weekday())
	for _, w := range windows {
		if w.Weekday != weekday {
			continue
		}
		from, ok1 := ParseClock(w.Start, false)
		to, ok2 := ParseClock(w.End, true)
		if !ok1 || !ok2 {
			continue
		}
		open, close := wallClock(y, m, d, from, loc), wallClock(y, m, d, to, loc)
		if !arrive.Before(open) && !leave.After(close) {
			return true
		}
	}
	return false
}

// MaxPerDayBroken reports whether one more showing on a day that already
// has booked showings of the home breaks its most per day.
func MaxPerDayBroken(s events.Showing, booked int) bool {
	return s.MaxPerDay > 0 && booked >= s.MaxPerDay
}

// DayCounts are homes' showings per local day: listing id, then the day
// ("2006-01-02", LocalDay) to how many showings start on it.
type DayCounts map[string]map[string]int

// Full reports whether a visit of the home arriving at arrive, its rules
// s, would be one showing too many on its local day in loc.
func (c DayCounts) Full(listingID string, s events.Showing, arrive time.Time, loc *time.Location) bool {
	return MaxPerDayBroken(s, c[listingID][LocalDay(arrive, loc)])
}

// LocalDay is the home's date of t in loc, "2006-01-02": the day max per
// day counts over.
func LocalDay(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.DateOnly) }

// RuleMessage says in words what breaking rule means, for a 422's detail.
func RuleMessage(rule string, s events.Showing) string {
	switch rule {
	case RuleMode:
		if s.Message != "" {
			return "this home is not being shown now: " + s.Message
		}
		return "this home is not being shown now"
	case RuleNotice:
		return fmt.Sprintf("this home must be booked at least %d minutes before the visit", s.MinNoticeMinutes)
	case RuleWindows:
		return "the visit is outside the home's showing windows"
	case RuleBlackouts:
		return "the visit falls in a period when the home is not shown"
	case RuleMaxPerDay:
		return fmt.Sprintf("this home takes at most %d showings a day", s.MaxPerDay)
	}
	return "the visit breaks the home's showing rules"
}

// isoWeekday is ISO 8601's weekday: 1 Monday to 7 Sunday.
func isoWeekday(d time.Weekday) int {
	if d == time.Sunday {
		return 7
	}
	return int(d)
}

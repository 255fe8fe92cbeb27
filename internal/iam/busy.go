package iam

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/teambition/rrule-go"
)

// BusyBlock is a span of time a realtor's own calendar says they are busy.
type busyBlock struct {
	Start, End time.Time // UTC, Start < End
}

// BusyHorizon is how far ahead a realtor's calendar is expanded.
const busyHorizon = 90 * 24 * time.Hour

// Limits on what one calendar may cost to expand: a feed with an event
// repeating every second, or tens of thousands of events, is refused
// rather than allowed to eat the process.
const (
	maxOccurrencesPerEvent = 5000
	maxIterations          = 500_000 // occurrences walked from DTSTART, also before the window
	maxBusyBlocks          = 5000
)

// ErrCalendarTooBusy: the calendar would expand to more than maxBusyBlocks
// blocks, or an event to more occurrences than can be checked.
var errCalendarTooBusy = errors.New("the calendar has more events than can be imported")

// ExpandBusy reads an iCalendar and returns when it is busy in [from, to):
// every opaque, not cancelled VEVENT, its recurrences expanded (RRULE,
// RDATE, EXDATE, and instances overridden by a VEVENT with the same UID and
// a RECURRENCE-ID), all-day events as whole days in zone, times with a
// TZID in that zone (daylight saving included) and floating times in
// zone. Blocks are clipped to the window, sorted and merged where they
// touch. zone is the realtor's own time zone.
func expandBusy(data []byte, zone *time.Location, from, to time.Time) ([]busyBlock, error) {
	cal, err := ics.ParseCalendar(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not an iCalendar file: %w", err)
	}
	masters := map[string]*ics.VEvent{}
	var singles []*ics.VEvent
	overrides := map[string][]*ics.VEvent{} // by UID
	for _, ev := range cal.Events() {
		uid := propValue(ev, ics.ComponentPropertyUniqueId)
		switch {
		case ev.GetProperty(ics.ComponentPropertyRecurrenceId) != nil:
			overrides[uid] = append(overrides[uid], ev)
		case ev.GetProperty(ics.ComponentPropertyRrule) != nil || ev.GetProperty(ics.ComponentPropertyRdate) != nil:
			masters[uid] = ev
		default:
			singles = append(singles, ev)
		}
	}
	var blocks []busyBlock
	add := func(start time.Time, dur time.Duration) {
		end := start.Add(dur)
		if !end.After(from) || !start.Before(to) {
			return
		}
		blocks = append(blocks, busyBlock{Start: maxT(start, from).UTC(), End: minT(end, to).UTC()})
	}
	for _, ev := range singles {
		if !busy(ev) {
			continue
		}
		start, dur, err := timing(ev, zone)
		if err != nil {
			return nil, err
		}
		add(start, dur)
	}
	for uid, ev := range masters {
		start, dur, err := timing(ev, zone)
		if err != nil {
			return nil, err
		}
		set, err := recurrence(ev, start, zone)
		if err != nil {
			return nil, err
		}
		// An overridden instance is replaced by its override, whatever the
		// override says (moved, made free, cancelled).
		for _, o := range overrides[uid] {
			rid, _, err := parseTime(o.GetProperty(ics.ComponentPropertyRecurrenceId), zone)
			if err != nil {
				return nil, err
			}
			set.ExDate(rid)
		}
		if !busy(ev) {
			continue
		}
		next := set.Iterator()
		for seen, inWindow := 0, 0; ; seen++ {
			at, ok := next()
			if !ok || !at.Before(to) {
				break
			}
			if seen >= maxIterations {
				return nil, errCalendarTooBusy
			}
			if at.Add(dur).After(from) {
				if inWindow++; inWindow > maxOccurrencesPerEvent {
					return nil, errCalendarTooBusy
				}
				add(at, dur)
			}
		}
	}
	for _, os := range overrides {
		for _, o := range os {
			if !busy(o) {
				continue
			}
			start, dur, err := timing(o, zone)
			if err != nil {
				return nil, err
			}
			add(start, dur)
		}
	}
	if len(blocks) > maxBusyBlocks {
		return nil, errCalendarTooBusy
	}
	return mergeBusy(blocks), nil
}

// MergeBusy sorts blocks and joins the ones that overlap or touch.
func mergeBusy(blocks []busyBlock) []busyBlock {
	slices.SortFunc(blocks, func(a, b busyBlock) int { return a.Start.Compare(b.Start) })
	var out []busyBlock
	for _, b := range blocks {
		if n := len(out); n > 0 && !b.Start.After(out[n-1].End) {
			if b.End.After(out[n-1].End) {
				out[n-1].End = b.End
			}
			continue
		}
		out = append(out, b)
	}
	return out
}

func propValue(ev *ics.VEvent, p ics.ComponentProperty) string {
	if prop := ev.GetProperty(p); prop != nil {
		return prop.Value
	}
	return ""
}

// busy: an event makes its time busy unless it is transparent (shown as
// free) or cancelled.
func busy(ev *ics.VEvent) bool {
	return !strings.EqualFold(propValue(ev, ics.ComponentPropertyTransp), "TRANSPARENT") &&
		!strings.EqualFold(propValue(ev, ics.ComponentPropertyStatus), "CANCELLED")
}

// parseTime reads a DATE or DATE-TIME property: UTC ("Z"), in its TZID's
// zone, or floating (in zone). A date is midnight in zone; allDay says so.
// A TZID Go does not know (Outlook's Windows names) is read in zone.
func parseTime(p *ics.IANAProperty, zone *time.Location) (time.Time, bool, error) {
	if p == nil {
		return time.Time{}, false, errors.New("an event has no start")
	}
	v := p.Value
	loc := zone
	if tz := p.ICalParameters["TZID"]; len(tz) > 0 {
		if l, err := time.LoadLocation(strings.Trim(tz[0], `"`)); err == nil {
			loc = l
		}
	}
	isDate := len(v) == 8
	if vt := p.ICalParameters["VALUE"]; len(vt) > 0 && strings.EqualFold(vt[0], "DATE") {
		isDate = true
	}
	switch {
	case isDate:
		t, err := time.ParseInLocation("20060102", v, zone)
		return t, true, err
	case strings.HasSuffix(v, "Z"):
		t, err := time.Parse("20060102T150405Z", v)
		return t, false, err
	default:
		t, err := time.ParseInLocation("20060102T150405", v, loc)
		return t, false, err
	}
}

// timing is an event's start and length: DTEND, else DURATION, else one
// day for an all-day event and nothing for a timed one (RFC 5545 3.6.1).
func timing(ev *ics.VEvent, zone *time.Location) (time.Time, time.Duration, error) {
	start, allDay, err := parseTime(ev.GetProperty(ics.ComponentPropertyDtStart), zone)
	if err != nil {
		return start, 0, fmt.Errorf("an event's start: %w", err)
	}
	if p := ev.GetProperty(ics.ComponentPropertyDtEnd); p != nil {
		end, _, err := parseTime(p, zone)
		if err != nil {
			return start, 0, fmt.Errorf("an event's end: %w", err)
		}
		if allDay {
			// Whole days in the zone, however long DST makes them.
			days := int(end.Sub(start).Hours()/24 + 0.5)
			return start, start.AddDate(0, 0, days).Sub(start), nil
		}
		return start, max(end.Sub(start), 0), nil
	}
	if p := ev.GetProperty(ics.ComponentPropertyDuration); p != nil {
		d, err := parseDuration(p.Value)
		if err != nil {
			return start, 0, err
		}
		return start, d, nil
	}
	if allDay {
		return start, start.AddDate(0, 0, 1).Sub(start), nil
	}
	return start, 0, nil
}

// recurrence builds the event's recurrence set with rrule-go: RRULE and
// RDATE from DTSTART (in DTSTART's zone, so 09:00 stays 09:00 across
// daylight saving), minus EXDATE.
func recurrence(ev *ics.VEvent, start time.Time, zone *time.Location) (*rrule.Set, error) {
	set := &rrule.Set{}
	if p := ev.GetProperty(ics.ComponentPropertyRrule); p != nil {
		opt, err := rrule.StrToROptionInLocation(p.Value, start.Location())
		if err != nil {
			return nil, fmt.Errorf("an event's RRULE: %w", err)
		}
		if opt.Freq == rrule.SECONDLY || opt.Freq == rrule.MINUTELY {
			return nil, errCalendarTooBusy
		}
		opt.Dtstart = start
		r, err := rrule.NewRRule(*opt)
		if err != nil {
			return nil, fmt.Errorf("an event's RRULE: %w", err)
		}
		set.RRule(r)
	} else {
		set.RDate(start)
	}
	set.DTStart(start)
	for _, kind := range []ics.ComponentProperty{ics.ComponentPropertyRdate, ics.ComponentPropertyExdate} {
		for _, p := range ev.GetProperties(kind) {
			for _, v := range strings.Split(p.Value, ",") {
				one := *p
				one.Value = strings.TrimSpace(v)
				t, _, err := parseTime(&one, zone)
				if err != nil {
					return nil, fmt.Errorf("an event's %s: %w", kind, err)
				}
				if kind == ics.ComponentPropertyExdate {
					set.ExDate(t)
				} else {
					set.RDate(t)
				}
			}
		}
	}
	return set, nil
}

// parseDuration reads an RFC 5545 DURATION such as PT1H30M, P1D or P2W.
func parseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("an event's DURATION %q", s)
	v, ok := strings.CutPrefix(strings.TrimPrefix(s, "+"), "P")
	if !ok || v == "" {
		return 0, bad
	}
	var d time.Duration
	inTime := false
	n := 0
	digits := false
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			n, digits = n*10+int(c-'0'), true
			if n > 100000 {
				return 0, bad
			}
			continue
		case c == 'T':
			inTime = true
			continue
		}
		if !digits {
			return 0, bad
		}
		unit := map[rune]time.Duration{'W': 7 * 24 * time.Hour, 'D': 24 * time.Hour}[c]
		if inTime {
			unit = map[rune]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}[c]
		}
		if unit == 0 {
			return 0, bad
		}
		d += time.Duration(n) * unit
		n, digits = 0, false
	}
	if digits {
		return 0, bad
	}
	return d, nil
}

func maxT(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minT(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

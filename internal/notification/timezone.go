package notification

import (
	"fmt"
	"time"

	ics "github.com/arran4/golang-ical"
)

// Transition is one change of a zone's UTC offset: from At on, the zone
// is Offset seconds east of UTC and called Name.
type transition struct {
	At         time.Time
	OffsetFrom int
	Offset     int
	Name       string
	DST        bool
}

// Transitions lists the offset changes of loc in [from, to), found by
// stepping a day at a time and narrowing each change to the second. Go's
// tzdata does not expose its transition table, and a day is shorter than
// any gap between two real transitions.
func transitions(loc *time.Location, from, to time.Time) []transition {
	var out []transition
	_, prevOff := from.In(loc).Zone()
	for t := from; t.Before(to); {
		next := t.Add(24 * time.Hour)
		if _, off := next.In(loc).Zone(); off != prevOff {
			lo, hi := t.Unix(), next.Unix() // the change is in (lo, hi], in whole seconds
			for hi-lo > 1 {
				mid := lo + (hi-lo)/2
				if _, o := time.Unix(mid, 0).In(loc).Zone(); o == prevOff {
					lo = mid
				} else {
					hi = mid
				}
			}
			at := time.Unix(hi, 0).In(loc)
			name, o := at.Zone()
			out = append(out, transition{At: at.UTC(), OffsetFrom: prevOff, Offset: o, Name: name, DST: at.IsDST()})
			prevOff = o
		}
		t = next
	}
	return out
}

// addTimezone adds a VTIMEZONE for loc to cal covering [from, to): one
// STANDARD or DAYLIGHT observance per real transition in that span (with
// its exact local start, RFC 5545 3.6.5), after the observance in force at
// from. Listing each transition instead of an RRULE is valid and stays
// right for zones whose rules changed over the years.
func addTimezone(cal *ics.Calendar, loc *time.Location, from, to time.Time) {
	tz := cal.AddTimezone(loc.String())
	name, off := from.In(loc).Zone()
	first := transition{At: from.UTC(), OffsetFrom: off, Offset: off, Name: name, DST: from.In(loc).IsDST()}
	for _, tr := range append([]transition{first}, transitions(loc, from, to)...) {
		var c *ics.ComponentBase
		if tr.DST {
			d := &ics.Daylight{}
			tz.Components = append(tz.Components, d)
			c = &d.ComponentBase
		} else {
			s := tz.AddStandard()
			c = &s.ComponentBase
		}
		// DTSTART of an observance is local time in the offset before it.
		local := tr.At.Add(time.Duration(tr.OffsetFrom) * time.Second)
		c.SetProperty(ics.ComponentPropertyDtStart, local.Format("20060102T150405"))
		c.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), utcOffset(tr.OffsetFrom))
		c.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), utcOffset(tr.Offset))
		c.SetProperty(ics.ComponentProperty(ics.PropertyTzname), tr.Name)
	}
}

// utcOffset writes seconds east of UTC as RFC 5545 UTC-OFFSET: +HHMM, or
// +HHMMSS when there are seconds.
func utcOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	h, m, s := sec/3600, sec%3600/60, sec%60
	if s != 0 {
		return fmt.Sprintf("%s%02d%02d%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%s%02d%02d", sign, h, m)
}

package appointment

import (
	"errors"
	"fmt"
	"time"
)

// Span is [Start, End) in UTC.
type span struct {
	Start, End time.Time
}

// overlaps reports whether s and [start, end) share an instant.
func (s span) overlaps(start, end time.Time) bool { return s.Start.Before(end) && s.End.After(start) }

// Schedule is what limits a realtor beyond their working hours, as this
// service keeps it: their time off and daily cap (from iam's profile, or
// iam's call before it saves them) and the busy blocks of their own
// calendar (iam's realtor.busy_changed). The zero Schedule limits nothing.
type schedule struct {
	// TimeZone is the realtor's IANA zone: a day of MaxPerDay is a day of
	// their wall clock. Empty is UTC.
	TimeZone string
	// MaxPerDay is the most holds and bookings starting on one local day;
	// 0: no cap.
	MaxPerDay int
	TimeOff   []span
	Busy      []span
	// ScheduleAt and BusyAt order the news of each half: the newest wins.
	ScheduleAt, BusyAt time.Time
}

// ErrRealtorOff: the realtor is off, busy in their own calendar, or at
// their daily cap for that window. It is a double booking to callers that
// try the next realtor.
var errRealtorOff = fmt.Errorf("%w: the realtor is off, busy or at their daily cap", errDoubleBooking)

// Off reports whether [start, end) overlaps the realtor's time off or a
// busy block of their own calendar. Neither is widened by the travel
// buffer: the realtor said when they are away; the buffer is for travel
// between tours.
func (s schedule) Off(start, end time.Time) bool {
	for _, spans := range [][]span{s.TimeOff, s.Busy} {
		for _, o := range spans {
			if o.overlaps(start, end) {
				return true
			}
		}
	}
	return false
}

// Location is the realtor's zone (UTC when unknown).
func (s schedule) Location() *time.Location {
	if s.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Day is the local day (of the realtor's wall clock) that start falls on,
// as instants [from, to): the day the cap counts a tour in. A day is 23 or
// 25 hours long when the zone changes clocks.
func (s schedule) Day(start time.Time) (from, to time.Time) {
	loc := s.Location()
	y, m, d := start.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc).UTC(), time.Date(y, m, d+1, 0, 0, 0, 0, loc).UTC()
}

// Admits reports whether the realtor may be held or booked for [start,
// end) given sameDay, how many of their holds and bookings (not counting
// the one this replaces) start on its local day: ErrRealtorOff if not.
func (s schedule) Admits(start, end time.Time, sameDay int) error {
	if s.Off(start, end) {
		return errRealtorOff
	}
	if s.MaxPerDay > 0 && sameDay >= s.MaxPerDay {
		return errRealtorOff
	}
	return nil
}

// ErrTimeOffConflict: new time off would cover tours the realtor holds or
// is booked for; ScheduleConflict lists them.
var errTimeOffConflict = errors.New("the time off covers tours the realtor is booked for")

// ScheduleConflict is ErrTimeOffConflict with the tours at fault.
type ScheduleConflict struct {
	Tours []appointment
}

func (c *ScheduleConflict) Error() string {
	return fmt.Sprintf("%s (%d)", errTimeOffConflict, len(c.Tours))
}

func (c *ScheduleConflict) Unwrap() error { return errTimeOffConflict }

// Covered returns the appointments of active that some span of time off
// overlaps: those a new schedule may not cover.
func (s schedule) Covered(active []appointment) []appointment {
	var out []appointment
	for _, a := range active {
		for _, o := range s.TimeOff {
			if o.overlaps(a.StartsAt, a.EndsAt) {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

package availability

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Working hours are compared in the realtor's wall-clock time: a window is
// inside "Tuesday 09:00-17:00" when the realtor's own clock reads Tuesday
// 09:00 or later at its start and 17:00 or earlier at its end. The instants
// are converted with the zone's rules (time.Time.In), never by adding a
// fixed offset, so the week a zone changes between standard and daylight
// time is right on both sides of the change.

// span is a window as a realtor's wall clock shows it: the ISO weekday of
// its start and its start and end as seconds after that day's local
// midnight. To is past 86400 when the window ends on a later local day,
// which no working-hours window (always within one day) can hold.
type span struct {
	Weekday  int
	From, To int
}

// localSpan converts [start, end) to the wall clock of loc.
func localSpan(loc *time.Location, start, end time.Time) span {
	ls, le := start.In(loc), end.In(loc)
	y, m, d := ls.Date()
	y2, m2, d2 := le.Date()
	days := int(time.Date(y2, m2, d2, 0, 0, 0, 0, time.UTC).Sub(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
	to := days*86400 + secondsOfDay(le)
	if le.Nanosecond() > 0 {
		to++ // a window ending at 17:00:00.5 ends after 17:00
	}
	return span{Weekday: isoWeekday(ls.Weekday()), From: secondsOfDay(ls), To: to}
}

func secondsOfDay(t time.Time) int { return t.Hour()*3600 + t.Minute()*60 + t.Second() }

func isoWeekday(d time.Weekday) int {
	if d == time.Sunday {
		return 7
	}
	return int(d)
}

// window is one working-hours window in seconds after local midnight.
type window struct{ From, To int }

// schedule is a realtor's week: windows by ISO weekday (index 1 to 7).
type schedule [8][]window

// covers reports whether one window of the span's weekday holds the span.
func (s *schedule) covers(sp span) bool {
	if sp.Weekday < 1 || sp.Weekday > 7 {
		return false
	}
	for _, w := range s[sp.Weekday] {
		if w.From <= sp.From && sp.To <= w.To {
			return true
		}
	}
	return false
}

// MaxWorkingWindows bounds a realtor's weekly windows, as iam does.
const maxWorkingWindows = 28

// parseSchedule reads working hours. Windows are ISO weekday 1-7 and
// "HH:MM" with start before end.
func parseSchedule(hours []WorkingHours) (schedule, error) {
	var s schedule
	if len(hours) > maxWorkingWindows {
		return s, fmt.Errorf("at most %d working-hours windows", maxWorkingWindows)
	}
	for i, h := range hours {
		from, ok1 := parseClock(h.Start)
		to, ok2 := parseClock(h.End)
		switch {
		case h.Weekday < 1 || h.Weekday > 7:
			return s, fmt.Errorf("working_hours[%d]: weekday must be 1 (Monday) to 7 (Sunday)", i)
		case !ok1 || !ok2:
			return s, fmt.Errorf("working_hours[%d]: start and end must be HH:MM", i)
		case from >= to:
			return s, fmt.Errorf("working_hours[%d]: start must be before end", i)
		}
		s[h.Weekday] = append(s[h.Weekday], window{from, to})
	}
	return s, nil
}

// parseClock reads "HH:MM" (00:00 to 23:59) as seconds after midnight.
func parseClock(s string) (int, bool) {
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) != 2 || len(mm) != 2 {
		return 0, false
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, false
	}
	return h*3600 + m*60, true
}

// loadZone reads an IANA zone name; empty is UTC. "Local" is refused: it
// would mean this machine's zone, not the realtor's.
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if name == "Local" {
		return nil, fmt.Errorf("time zone %q is not an IANA zone", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q is not an IANA zone", name)
	}
	return loc, nil
}

// zones caches loaded time zones: time.LoadLocation reads the zone database
// on every call, too slow for a search's inner loop.
type zones struct{ m sync.Map }

func (z *zones) load(name string) (*time.Location, error) {
	if v, ok := z.m.Load(name); ok {
		return v.(*time.Location), nil
	}
	loc, err := loadZone(name)
	if err != nil {
		return nil, err
	}
	z.m.Store(name, loc)
	return loc, nil
}

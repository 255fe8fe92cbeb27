// Package tourplan is what a tour is to every service that plans one: the
// homes in route order with the time of each stop, the rules a tour's time
// keeps (how long a visit lasts, how fast one drives between homes, the
// hours of the homes' day, how far ahead it is booked), and the grid of
// starts customers choose from. The cart plans a tour to offer slots and
// to place its order, the tour service plans it again when it moves, the
// listing service offers one home's slots: one plan, so they agree to the
// minute.
//
// It is plain Go: types and rules, no I/O. Services import it as they
// import events; it imports nothing of theirs.
package tourplan

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/geo"
)

// Rules are the tunable rules of a tour's time. Default documents the
// values.
type Rules struct {
	// Visit is the time planned at a home that names no visit length.
	Visit time.Duration
	// SpeedKMH turns the distance between homes into driving time.
	SpeedKMH float64
	// DayStart and DayEnd bound a tour, start to end, in the homes' local
	// time (durations after local midnight).
	DayStart, DayEnd time.Duration
	// MinLead is how far ahead a tour must start; MaxLead how far ahead it
	// may.
	MinLead, MaxLead time.Duration
	// Step is the grid of starts: a tour starts at a multiple of Step
	// after the Unix epoch (so :00, :15, :30, :45 for 15 minutes, on every
	// zone whose offset is a multiple of it).
	Step time.Duration
}

// Default: 30 min per home, 40 km/h, tours between 08:00 and 20:00 local
// time, booked 1 h to 90 days ahead, starting on the quarter hour.
var Default = Rules{
	Visit: 30 * time.Minute, SpeedKMH: 40, DayStart: 8 * time.Hour, DayEnd: 20 * time.Hour,
	MinLead: time.Hour, MaxLead: 90 * 24 * time.Hour, Step: 15 * time.Minute,
}

// Validate reports rules that cannot plan a tour, naming the setting.
func (r Rules) Validate() error {
	switch {
	case r.Visit <= 0 || r.Visit > 4*time.Hour:
		return fmt.Errorf("tour rules: visit must be between 0 and 4h, got %s", r.Visit)
	case !(r.SpeedKMH > 0):
		return fmt.Errorf("tour rules: speed must be positive, got %v", r.SpeedKMH)
	case r.DayStart < 0 || r.DayEnd > 24*time.Hour || r.DayStart >= r.DayEnd:
		return fmt.Errorf("tour rules: the day must be within 00:00-24:00 and start before it ends, got %s-%s", clock(r.DayStart), clock(r.DayEnd))
	case r.MinLead < 0 || r.MaxLead <= r.MinLead:
		return fmt.Errorf("tour rules: lead must be 0 <= min < max, got %s and %s", r.MinLead, r.MaxLead)
	case r.Step < time.Minute || r.Step > time.Hour || time.Hour%r.Step != 0:
		return fmt.Errorf("tour rules: slot step must divide an hour and be at least a minute, got %s", r.Step)
	}
	return nil
}

// Home is one home of a tour as planning needs it.
type Home struct {
	ListingID string
	Location  events.GeoPoint
	// Visit is this home's visit length; zero means the rules' Visit.
	Visit time.Duration
}

// Stop is a home of a planned route with its times.
type Stop struct {
	Home
	Arrive, Leave time.Time
}

// Route is a planned tour: the homes in visiting order, timed from Start.
type Route struct {
	Stops      []Stop
	Start, End time.Time
}

// Length is how long the tour takes, first arrival to last departure.
func (r Route) Length() time.Duration { return r.End.Sub(r.Start) }

// Points are the homes' locations in route order.
func (r Route) Points() []events.GeoPoint {
	out := make([]events.GeoPoint, len(r.Stops))
	for i, s := range r.Stops {
		out[i] = s.Location
	}
	return out
}

// Plan orders homes into the shortest route that starts at the first home
// (the one the customer chose first) and times every stop from start: a
// visit at each home, then the drive to the next at the rules' speed,
// rounded up to the minute.
func Plan(homes []Home, start time.Time, r Rules) Route {
	ordered := ShortestOrder(homes)
	return Time(ordered, start, r)
}

// Time times homes in the order given from start, without reordering: how
// a tour keeps its route when it moves.
func Time(homes []Home, start time.Time, r Rules) Route {
	out := Route{Stops: make([]Stop, len(homes)), Start: start.UTC()}
	at := start.UTC()
	for i, h := range homes {
		if i > 0 {
			at = at.Add(DriveTime(homes[i-1].Location, h.Location, r.SpeedKMH))
		}
		visit := h.Visit
		if visit <= 0 {
			visit = r.Visit
		}
		out.Stops[i] = Stop{Home: h, Arrive: at, Leave: at.Add(visit)}
		at = at.Add(visit)
	}
	out.End = at
	return out
}

// ShortestOrder orders homes into the shortest path that starts at the
// first one. A tour has at most five homes, so trying every order of the
// others (24 at most) is exact and cheap; beyond eight it falls back to
// nearest neighbour.
func ShortestOrder(homes []Home) []Home {
	if len(homes) <= 2 {
		return append([]Home(nil), homes...)
	}
	if len(homes) > 8 {
		return nearestNeighbour(homes)
	}
	rest := append([]Home(nil), homes[1:]...)
	best := append([]Home{homes[0]}, rest...)
	bestLen := routeKM(best)
	permute(rest, 0, func(order []Home) {
		cand := append([]Home{homes[0]}, order...)
		if l := routeKM(cand); l < bestLen-1e-9 {
			best, bestLen = append([]Home(nil), cand...), l
		}
	})
	return best
}

func permute(s []Home, k int, visit func([]Home)) {
	if k == len(s) {
		visit(s)
		return
	}
	for i := k; i < len(s); i++ {
		s[k], s[i] = s[i], s[k]
		permute(s, k+1, visit)
		s[k], s[i] = s[i], s[k]
	}
}

func nearestNeighbour(homes []Home) []Home {
	left := append([]Home(nil), homes[1:]...)
	out := []Home{homes[0]}
	for len(left) > 0 {
		last := out[len(out)-1].Location
		bi := 0
		for i := range left {
			if DistanceKM(last, left[i].Location) < DistanceKM(last, left[bi].Location) {
				bi = i
			}
		}
		out = append(out, left[bi])
		left = append(left[:bi], left[bi+1:]...)
	}
	return out
}

func routeKM(homes []Home) float64 {
	total := 0.0
	for i := 1; i < len(homes); i++ {
		total += DistanceKM(homes[i-1].Location, homes[i].Location)
	}
	return total
}

// DriveTime is the driving time between two points at speed, from the
// great-circle distance, rounded up to the minute.
func DriveTime(a, b events.GeoPoint, speedKMH float64) time.Duration {
	minutes := math.Ceil(DistanceKM(a, b) / speedKMH * 60)
	return time.Duration(minutes) * time.Minute
}

// DistanceKM is the great-circle distance between two points (haversine).
func DistanceKM(a, b events.GeoPoint) float64 { return geo.DistanceKM(a.Lat, a.Lng, b.Lat, b.Lng) }

// RuleError is a time that breaks a rule, naming the request's field.
type RuleError struct{ Field, Message string }

func (e RuleError) Error() string { return e.Field + ": " + e.Message }

// CheckStart checks a tour of length starting at start against the rules,
// now being now and the homes in loc: at least MinLead and at most MaxLead
// ahead, start to end inside the homes' day. It does not check the grid:
// OnGrid does, since an off-grid start is "not an open slot", not a broken
// rule.
func (r Rules) CheckStart(start time.Time, length time.Duration, loc *time.Location, now time.Time) error {
	if start.Before(now.Add(r.MinLead)) {
		return RuleError{"scheduled_at", fmt.Sprintf("must be at least %s from now", human(r.MinLead))}
	}
	if start.After(now.Add(r.MaxLead)) {
		return RuleError{"scheduled_at", fmt.Sprintf("must be within %d days", int(r.MaxLead/(24*time.Hour)))}
	}
	if !r.InDay(start, length, loc) {
		return RuleError{"scheduled_at", fmt.Sprintf("the tour (%s) must start and end between %s and %s %s time",
			length.Round(time.Minute), clock(r.DayStart), clock(r.DayEnd), strings.ReplaceAll(loc.String(), "_", " "))}
	}
	return nil
}

// InDay reports whether [start, start+length) lies within one local day's
// DayStart to DayEnd in loc. The bounds are wall-clock times of the start's
// local date, converted with the zone's rules, so a day that changes
// between standard and daylight time is right on both sides.
func (r Rules) InDay(start time.Time, length time.Duration, loc *time.Location) bool {
	open, close := r.day(start.In(loc))
	return !start.Before(open) && !start.Add(length).After(close)
}

// day is the start and end of the homes' day that local falls on.
func (r Rules) day(local time.Time) (time.Time, time.Time) {
	y, m, d := local.Date()
	return wallClock(y, m, d, r.DayStart, local.Location()), wallClock(y, m, d, r.DayEnd, local.Location())
}

// wallClock is the instant at which loc's clocks read offset after
// midnight of that date (24:00 is the next midnight).
func wallClock(y int, m time.Month, d int, offset time.Duration, loc *time.Location) time.Time {
	mins := int(offset / time.Minute)
	return time.Date(y, m, d, mins/60, mins%60, 0, 0, loc)
}

// OnGrid reports whether t is a start of the grid.
func (r Rules) OnGrid(t time.Time) bool {
	return t.Nanosecond() == 0 && t.Unix()%int64(r.Step/time.Second) == 0
}

// StartRange is the starts from From to To inclusive, on the grid.
type StartRange struct{ From, To time.Time }

// Starts are the ranges of starts the rules allow for a tour of length
// over days local days of loc beginning with the date of first: each day's
// starts from DayStart to DayEnd minus length, no earlier than now plus
// MinLead and no later than now plus MaxLead, on the grid. Days with none
// are left out.
func (r Rules) Starts(first time.Time, days int, length time.Duration, loc *time.Location, now time.Time) []StartRange {
	earliest, latest := r.ceil(now.Add(r.MinLead)), now.Add(r.MaxLead)
	local := first.In(loc)
	var out []StartRange
	for i := range days {
		open, close := r.day(time.Date(local.Year(), local.Month(), local.Day()+i, 12, 0, 0, 0, loc))
		from, to := r.ceil(open), close.Add(-length)
		if from.Before(earliest) {
			from = earliest
		}
		if to.After(latest) {
			to = latest
		}
		to = r.floor(to)
		if !to.Before(from) {
			out = append(out, StartRange{From: from.UTC(), To: to.UTC()})
		}
	}
	return out
}

func (r Rules) floor(t time.Time) time.Time {
	step := int64(r.Step / time.Second)
	u := t.Unix()
	if t.Nanosecond() > 0 && u < 0 {
		u-- // toward minus infinity
	}
	return time.Unix(u-((u%step)+step)%step, 0).UTC()
}

func (r Rules) ceil(t time.Time) time.Time {
	f := r.floor(t)
	if f.Before(t) {
		return f.Add(r.Step)
	}
	return f
}

// Each calls fn for every start of the ranges, in order.
func (r Rules) Each(ranges []StartRange, fn func(time.Time)) {
	for _, rg := range ranges {
		for t := rg.From; !t.After(rg.To); t = t.Add(r.Step) {
			fn(t)
		}
	}
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}

func human(d time.Duration) string {
	switch {
	case d%time.Hour == 0 && d == time.Hour:
		return "an hour"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	default:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
}

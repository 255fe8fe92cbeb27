// Package availability is the index of which realtors can take a tour where
// and when: the counterpart of the original design's ElastiCache. It is a
// cache, not the source of truth (the appointment service's database is), so
// every process can rebuild it from the iam and appointment event streams.
//
// This file is the domain: types and rules, no I/O. index.go holds the Index
// interface, memory.go and redis.go its two implementations, which pass one
// contract suite.
package availability

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/platform/fault"
)

// Status is whether a realtor takes new tours, as they set it in iam.
type Status string

// Realtor statuses.
const (
	StatusAvailable   Status = "available"
	statusUnavailable Status = "unavailable"
)

// Point is a WGS 84 position in degrees.
type Point struct {
	Lat, Lng float64
}

// valid: a latitude and a longitude in range (NaN is not).
func (p Point) valid() bool {
	return p.Lat >= -90 && p.Lat <= 90 && p.Lng >= -180 && p.Lng <= 180
}

// MaxIndexedLat is the largest latitude, north or south, that the index
// places: Redis's geo sets (Web Mercator) refuse the poles, and both
// implementations keep the same rule so they answer alike.
const maxIndexedLat = 85.05112878

// MaxServiceRadiusKM bounds how far a realtor may travel; iam enforces the
// same bound.
const maxServiceRadiusKM = 200

// MaxWindow is the longest window a search or a reservation may name.
const maxWindow = 12 * time.Hour

// DefaultBuffer is the travel time kept free before and after every booking.
const defaultBuffer = 30 * time.Minute

// Realtor is what the index knows of a realtor, from iam's
// openhouse.iam.realtor.profile_changed.v1.
type Realtor struct {
	ID              string
	Location        *Point // nil until the realtor sets it
	ServiceRadiusKM float64
	// TimeZone is the IANA zone of WorkingHours; empty means UTC.
	TimeZone     string
	WorkingHours []WorkingHours
	Status       Status
	Verified     bool
	Active       bool // false while suspended
	// TimeOff are spans the realtor takes no tours, whatever their hours.
	TimeOff []Span
	// MaxToursPerDay is the most holds and bookings starting on one day of
	// the realtor's zone; 0: no cap.
	MaxToursPerDay int
	// UpdatedAt orders profile versions: the index keeps the newest.
	UpdatedAt time.Time
}

// Span is [Start, End): time off, or a busy block of the realtor's own
// calendar (PutBusy). Unlike a booking it is not widened by the travel
// buffer: the realtor said when they are away.
type Span struct {
	Start, End time.Time
}

// MaxSpans bounds a realtor's time off, and their busy blocks, that the
// index keeps: iam allows 50 spans of time off; 90 days of a busy
// calendar stay well under.
const maxSpans = 5000

// WorkingHours is one weekly window in the realtor's time zone: Weekday is
// ISO 8601 (1 Monday ... 7 Sunday), Start and End are "HH:MM" with Start
// before End (a window does not cross midnight).
type WorkingHours struct {
	Weekday    int
	Start, End string
}

// Eligible reports whether the realtor may be offered tours at all:
// verified, active, available, placed and with a service radius. A realtor
// who is not eligible is never a search result.
func (r Realtor) Eligible() bool {
	return r.Verified && r.Active && r.Status == StatusAvailable &&
		r.Location != nil && math.Abs(r.Location.Lat) <= maxIndexedLat &&
		r.ServiceRadiusKM > 0
}

// Validate checks that the index can use a profile. iam validates the same
// fields; a profile that fails (a zone this machine does not know, say) is
// kept by the index but never offered.
func (r Realtor) Validate() error {
	var errs []string
	if r.ID == "" || len(r.ID) > maxIDLength {
		errs = append(errs, fmt.Sprintf("id must be 1 to %d bytes", maxIDLength))
	}
	if l := r.Location; l != nil && (!(l.Lat >= -90 && l.Lat <= 90) || !(l.Lng >= -180 && l.Lng <= 180)) {
		errs = append(errs, "location must be latitude -90 to 90 and longitude -180 to 180")
	}
	if !(r.ServiceRadiusKM >= 0 && r.ServiceRadiusKM <= maxServiceRadiusKM) {
		errs = append(errs, fmt.Sprintf("service radius must be 0 to %d km", maxServiceRadiusKM))
	}
	if r.Status != StatusAvailable && r.Status != statusUnavailable {
		errs = append(errs, "status must be available or unavailable")
	}
	if _, err := loadZone(r.TimeZone); err != nil {
		errs = append(errs, err.Error())
	}
	if _, err := parseSchedule(r.WorkingHours); err != nil {
		errs = append(errs, err.Error())
	}
	if err := checkSpans(r.TimeOff); err != nil {
		errs = append(errs, "time off: "+err.Error())
	}
	if r.MaxToursPerDay < 0 {
		errs = append(errs, "max tours per day must not be negative")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: realtor %q: %s", errInvalid, r.ID, strings.Join(errs, "; "))
	}
	return nil
}

// MaxIDLength bounds realtor and tour ids; they are opaque strings.
const maxIDLength = 200

// Booking is a tour a realtor holds, [Start, End).
type Booking struct {
	TourID     string
	Start, End time.Time
}

// Blocks reports whether the booking makes the realtor unavailable for
// [start, end): the booking, widened by buffer on both sides for travel,
// overlaps the window. A booking that ends at 10:00 with a 30 minute buffer
// blocks a window starting at 10:15 and leaves one starting at 10:30.
func (b Booking) Blocks(start, end time.Time, buffer time.Duration) bool {
	return b.Start.Add(-buffer).Before(end) && b.End.Add(buffer).After(start)
}

// MaxSearchPoints is the most points one search may name (Point and Also
// together): a tour visits at most 5 homes (the cart's rule), and each
// point costs a distance per realtor examined.
const maxSearchPoints = 10

// Query asks for the realtors who can take a tour at Point in [Start, End).
type Query struct {
	Point Point
	// Also are more points the realtor's own radius must cover too: the
	// other homes of a tour, so that one search answers who can show them
	// all instead of one search per home and an intersection. Candidates
	// are still ordered by, and report, their distance to Point (the first
	// home). At most MaxSearchPoints-1.
	Also []Point
	// Start and End, when set, keep only realtors who work the whole window
	// and hold no booking that blocks it. Both zero: no time filter.
	Start, End time.Time
	// MaxDistanceKM, when positive, is an extra bound on the distance from
	// the realtor to Point (and to each point of Also), on top of each
	// realtor's own radius.
	MaxDistanceKM float64
	// Limit is the most candidates returned; 0 or less means all.
	Limit int
}

// Validate checks the query's shape.
func (q Query) Validate() error {
	if len(q.Also) >= maxSearchPoints {
		return fmt.Errorf("%w: at most %d points", errInvalid, maxSearchPoints)
	}
	for _, p := range q.Also {
		if !p.valid() {
			return fmt.Errorf("%w: every point must be latitude -90 to 90 and longitude -180 to 180", errInvalid)
		}
	}
	switch {
	case !q.Point.valid():
		return fmt.Errorf("%w: point must be latitude -90 to 90 and longitude -180 to 180", errInvalid)
	case q.MaxDistanceKM < 0 || math.IsNaN(q.MaxDistanceKM):
		return fmt.Errorf("%w: max distance must not be negative", errInvalid)
	case q.Start.IsZero() != q.End.IsZero():
		return fmt.Errorf("%w: start and end go together", errInvalid)
	case !q.Start.IsZero():
		return checkWindow(q.Start, q.End)
	}
	return nil
}

func checkWindow(start, end time.Time) error {
	if field, msg := windowRule(start, end); field != "" {
		return fmt.Errorf("%w: %s %s", errInvalid, field, msg)
	}
	return nil
}

// windowRule names what is wrong with a window [start, end), if anything:
// the field ("start" or "end") and the message.
func windowRule(start, end time.Time) (field, msg string) {
	switch {
	case start.Unix() <= 0:
		return "start", "must be after 1970"
	case !end.After(start):
		return "end", "must be after start"
	case end.Sub(start) > maxWindow:
		return "end", fmt.Sprintf("must be at most %d hours after start", maxWindow/time.Hour)
	}
	return "", ""
}

// Candidate is a realtor who can take the tour, as Search returns them.
type Candidate struct {
	RealtorID       string
	DistanceKM      float64
	Status          Status
	TimeZone        string
	ServiceRadiusKM float64
	Location        Point
}

// Errors callers branch on, and clients are answered by their kind.
var (
	// errTaken: the realtor holds another tour that overlaps the window,
	// buffers included.
	errTaken = fault.Conflict("the realtor is already booked at that time").
			WithDetail("the realtor already holds another tour at that time (travel buffer included)")
	// errNotFound: the index has no such realtor.
	errNotFound = fault.NotFound("no such realtor").WithDetail("the index has no such realtor")
	// errInvalid: the arguments break a rule (a bad window, a bad profile).
	// It is wrapped with the rule, in words clients are told.
	errInvalid = fault.Unprocessable("invalid").WithWholeText()
)

// millis truncates t to the millisecond, in UTC: the index keeps times at
// that precision in both implementations.
func millis(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

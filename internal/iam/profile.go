package iam

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"fmt"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/openhouse/openhouse/internal/platform/usertext"
)

// Availability is whether a realtor takes new tours.
type availability string

// Realtor availabilities.
const (
	available   availability = "available"
	unavailable availability = "unavailable"
)

// GeoPoint is a WGS 84 position.
type geoPoint struct {
	Lat float64
	Lng float64
}

// WorkingHours is one weekly window in the realtor's time zone. Weekday is
// ISO 8601: 1 is Monday, 7 Sunday. Start and End are "HH:MM", Start < End
// (a window does not cross midnight; split it in two).
type workingHours struct {
	Weekday    int
	Start, End string
}

// RealtorProfile is where and when a realtor works.
type realtorProfile struct {
	UserID          string
	Location        *geoPoint // nil until set
	ServiceRadiusKM float64
	TimeZone        string
	WorkingHours    []workingHours
	Availability    availability
	// TimeOff are spans the realtor takes no tours, kept as instants: a
	// holiday stays where it was when the realtor later moves zone.
	TimeOff []timeOff
	// MaxToursPerDay is the most tours on one local day; 0: no cap.
	MaxToursPerDay int
	UpdatedAt      time.Time
}

// TimeOff is a span [Start, End) the realtor takes no tours, and why.
type timeOff struct {
	Start, End time.Time
	Reason     string
}

// Bounds of the schedule a realtor sets: how many spans of time off, how
// long one may be, how long its reason, and the highest daily cap.
const (
	maxTimeOff        = 50
	maxTimeOffLength  = 366 * 24 * time.Hour
	maxTimeOffReason  = 200
	maxToursPerDayCap = 50
)

// NewRealtorProfile is the profile of a realtor who has set nothing yet:
// no location, so no tours.
func newRealtorProfile(userID string, now time.Time) realtorProfile {
	return realtorProfile{UserID: userID, TimeZone: "UTC", Availability: unavailable, UpdatedAt: now.UTC()}
}

// ProfileChange is a partial update; nil fields stay as they are.
type profileChange struct {
	Location        *geoPoint
	ServiceRadiusKM *float64
	TimeZone        *string
	WorkingHours    *[]workingHours
	Availability    *availability
	TimeOff         *[]writtenTimeOff
	MaxToursPerDay  *int
}

// writtenTimeOff is a span of time off as a realtor writes it: start and end
// in RFC 3339, or as their wall clock ("2026-12-24T00:00", seconds
// optional), read in the profile's time zone (the new one, when the same
// change sets it).
type writtenTimeOff struct {
	Start, End, Reason string
}

// localLayouts are the wall-clock forms time off may be written in.
var localLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

// parseWhen reads one end of a span of time off in loc.
func parseWhen(s string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// MaxServiceRadiusKM bounds how far a realtor may say they travel.
const maxServiceRadiusKM = 200

var clockTime = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// Apply validates c and applies it to p.
func (p *realtorProfile) Apply(c profileChange, now time.Time) error {
	var errs fault.ValidationError
	if c.Location != nil {
		if c.Location.Lat < -90 || c.Location.Lat > 90 {
			errs = append(errs, fault.FieldError{Field: "location.lat", Message: "must be between -90 and 90"})
		}
		if c.Location.Lng < -180 || c.Location.Lng > 180 {
			errs = append(errs, fault.FieldError{Field: "location.lng", Message: "must be between -180 and 180"})
		}
	}
	if c.ServiceRadiusKM != nil && (*c.ServiceRadiusKM <= 0 || *c.ServiceRadiusKM > maxServiceRadiusKM) {
		errs = append(errs, fault.FieldError{Field: "service_radius_km", Message: fmt.Sprintf("must be more than 0 and at most %d", maxServiceRadiusKM)})
	}
	if c.TimeZone != nil {
		if _, err := time.LoadLocation(*c.TimeZone); err != nil || *c.TimeZone == "" || *c.TimeZone == "Local" {
			errs = append(errs, fault.FieldError{Field: "time_zone", Message: "must be an IANA time zone such as America/Chicago"})
		}
	}
	if c.WorkingHours != nil {
		if len(*c.WorkingHours) > 28 {
			errs = append(errs, fault.FieldError{Field: "working_hours", Message: "at most 28 windows"})
		}
		for i, w := range *c.WorkingHours {
			field := fmt.Sprintf("working_hours[%d]", i)
			switch {
			case w.Weekday < 1 || w.Weekday > 7:
				errs = append(errs, fault.FieldError{Field: field + ".weekday", Message: "must be 1 (Monday) to 7 (Sunday)"})
			case !clockTime.MatchString(w.Start) || !clockTime.MatchString(w.End):
				errs = append(errs, fault.FieldError{Field: field, Message: "start and end must be HH:MM"})
			case w.Start >= w.End:
				errs = append(errs, fault.FieldError{Field: field, Message: "start must be before end"})
			}
		}
	}
	if c.Availability != nil && *c.Availability != available && *c.Availability != unavailable {
		errs = append(errs, fault.FieldError{Field: "status", Message: "must be available or unavailable"})
	}
	var timeOff []timeOff
	if c.TimeOff != nil {
		zone := p.TimeZone
		if c.TimeZone != nil {
			zone = *c.TimeZone
		}
		loc, err := time.LoadLocation(zone)
		if err != nil {
			loc = time.UTC // reported above
		}
		var bad []fault.FieldError
		timeOff, bad = readTimeOff(*c.TimeOff, loc)
		errs = append(errs, bad...)
	}
	if c.MaxToursPerDay != nil && (*c.MaxToursPerDay < 0 || *c.MaxToursPerDay > maxToursPerDayCap) {
		errs = append(errs, fault.FieldError{Field: "max_tours_per_day", Message: fmt.Sprintf("must be 0 (no cap) to %d", maxToursPerDayCap)})
	}
	if len(errs) > 0 {
		return errs
	}
	if c.Location != nil {
		loc := *c.Location
		p.Location = &loc
	}
	if c.ServiceRadiusKM != nil {
		p.ServiceRadiusKM = *c.ServiceRadiusKM
	}
	if c.TimeZone != nil {
		p.TimeZone = *c.TimeZone
	}
	if c.WorkingHours != nil {
		p.WorkingHours = append([]workingHours(nil), (*c.WorkingHours)...)
	}
	if c.Availability != nil {
		p.Availability = *c.Availability
	}
	if c.TimeOff != nil {
		p.TimeOff = timeOff
	}
	if c.MaxToursPerDay != nil {
		p.MaxToursPerDay = *c.MaxToursPerDay
	}
	p.UpdatedAt = now.UTC()
	return nil
}

// readTimeOff reads spans of time off written in loc (writtenTimeOff) and
// says what is wrong with each. It returns them as they are kept: UTC to
// the second, reasons normalised (internal/platform/usertext), sorted by
// start.
func readTimeOff(in []writtenTimeOff, loc *time.Location) ([]timeOff, []fault.FieldError) {
	if len(in) > maxTimeOff {
		return nil, []fault.FieldError{{Field: "time_off", Message: fmt.Sprintf("at most %d spans", maxTimeOff)}}
	}
	var errs []fault.FieldError
	out := make([]timeOff, 0, len(in))
	for i, t := range in {
		field := fmt.Sprintf("time_off[%d]", i)
		start, ok1 := parseWhen(t.Start, loc)
		end, ok2 := parseWhen(t.End, loc)
		start, end = start.UTC().Truncate(time.Second), end.UTC().Truncate(time.Second)
		switch {
		case !ok1 || start.Unix() <= 0:
			errs = append(errs, fault.FieldError{Field: field + ".start", Message: "must be an RFC 3339 time, or a local time such as 2026-12-24T09:00, after 1970"})
		case !ok2:
			errs = append(errs, fault.FieldError{Field: field + ".end", Message: "must be an RFC 3339 time, or a local time such as 2026-12-24T17:00"})
		case !end.After(start):
			errs = append(errs, fault.FieldError{Field: field + ".end", Message: "must be after start"})
		case end.Sub(start) > maxTimeOffLength:
			errs = append(errs, fault.FieldError{Field: field + ".end", Message: "must be at most 366 days after start"})
		}
		reason := usertext.Normalize(t.Reason, usertext.Line)
		if n := utf8.RuneCountInString(reason); n > maxTimeOffReason {
			errs = append(errs, fault.FieldError{Field: field + ".reason", Message: fmt.Sprintf("must be at most %d characters", maxTimeOffReason)})
		} else if msg := usertext.Check(reason, usertext.Line); msg != "" {
			errs = append(errs, fault.FieldError{Field: field + ".reason", Message: msg})
		}
		out = append(out, timeOff{Start: start, End: end, Reason: reason})
	}
	slices.SortStableFunc(out, func(a, b timeOff) int { return a.Start.Compare(b.Start) })
	return out, errs
}

package iam

import (
	"fmt"
	"regexp"
	"time"
)

// Availability is whether a realtor takes new tours.
type Availability string

// Realtor availabilities.
const (
	Available   Availability = "available"
	Unavailable Availability = "unavailable"
)

// GeoPoint is a WGS 84 position.
type GeoPoint struct {
	Lat float64
	Lng float64
}

// WorkingHours is one weekly window in the realtor's time zone. Weekday is
// ISO 8601: 1 is Monday, 7 Sunday. Start and End are "HH:MM", Start < End
// (a window does not cross midnight; split it in two).
type WorkingHours struct {
	Weekday    int
	Start, End string
}

// RealtorProfile is where and when a realtor works.
type RealtorProfile struct {
	UserID          string
	Location        *GeoPoint // nil until set
	ServiceRadiusKM float64
	TimeZone        string
	WorkingHours    []WorkingHours
	Availability    Availability
	UpdatedAt       time.Time
}

// NewRealtorProfile is the profile of a realtor who has set nothing yet:
// no location, so no tours.
func NewRealtorProfile(userID string, now time.Time) RealtorProfile {
	return RealtorProfile{UserID: userID, TimeZone: "UTC", Availability: Unavailable, UpdatedAt: now.UTC()}
}

// ProfileChange is a partial update; nil fields stay as they are.
type ProfileChange struct {
	Location        *GeoPoint
	ServiceRadiusKM *float64
	TimeZone        *string
	WorkingHours    *[]WorkingHours
	Availability    *Availability
}

// MaxServiceRadiusKM bounds how far a realtor may say they travel.
const MaxServiceRadiusKM = 200

var clockTime = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// Apply validates c and applies it to p.
func (p *RealtorProfile) Apply(c ProfileChange, now time.Time) error {
	var errs ValidationError
	if c.Location != nil {
		if c.Location.Lat < -90 || c.Location.Lat > 90 {
			errs = append(errs, FieldError{"location.lat", "must be between -90 and 90"})
		}
		if c.Location.Lng < -180 || c.Location.Lng > 180 {
			errs = append(errs, FieldError{"location.lng", "must be between -180 and 180"})
		}
	}
	if c.ServiceRadiusKM != nil && (*c.ServiceRadiusKM <= 0 || *c.ServiceRadiusKM > MaxServiceRadiusKM) {
		errs = append(errs, FieldError{"service_radius_km", fmt.Sprintf("must be more than 0 and at most %d", MaxServiceRadiusKM)})
	}
	if c.TimeZone != nil {
		if _, err := time.LoadLocation(*c.TimeZone); err != nil || *c.TimeZone == "" || *c.TimeZone == "Local" {
			errs = append(errs, FieldError{"time_zone", "must be an IANA time zone such as America/Chicago"})
		}
	}
	if c.WorkingHours != nil {
		if len(*c.WorkingHours) > 28 {
			errs = append(errs, FieldError{"working_hours", "at most 28 windows"})
		}
		for i, w := range *c.WorkingHours {
			field := fmt.Sprintf("working_hours[%d]", i)
			switch {
			case w.Weekday < 1 || w.Weekday > 7:
				errs = append(errs, FieldError{field + ".weekday", "must be 1 (Monday) to 7 (Sunday)"})
			case !clockTime.MatchString(w.Start) || !clockTime.MatchString(w.End):
				errs = append(errs, FieldError{field, "start and end must be HH:MM"})
			case w.Start >= w.End:
				errs = append(errs, FieldError{field, "start must be before end"})
			}
		}
	}
	if c.Availability != nil && *c.Availability != Available && *c.Availability != Unavailable {
		errs = append(errs, FieldError{"status", "must be available or unavailable"})
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
		p.WorkingHours = append([]WorkingHours(nil), (*c.WorkingHours)...)
	}
	if c.Availability != nil {
		p.Availability = *c.Availability
	}
	p.UpdatedAt = now.UTC()
	return nil
}

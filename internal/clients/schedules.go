package clients

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// TypeTimeOffConflict is the problem type of time off over booked tours.
const TypeTimeOffConflict = "urn:openhouse:problem:time-off-conflict"

// Span is [Start, End).
type Span struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// RealtorSchedule is the body of PUT /appointments/realtors/{id}/schedule:
// a realtor's time off and daily cap as iam is about to save them.
type RealtorSchedule struct {
	TimeZone       string    `json:"time_zone" doc:"The realtor's IANA zone: the cap counts tours per day of it." example:"America/Chicago"`
	MaxToursPerDay int       `json:"max_tours_per_day" doc:"0: no cap." minimum:"0"`
	TimeOff        []Span    `json:"time_off"`
	At             time.Time `json:"at" doc:"When iam changes the profile: the newest schedule wins, this or the profile event's."`
}

// BookedTour is a realtor's hold or booking that time off would cover.
type BookedTour struct {
	TourID   string    `json:"tour_id"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	Status   string    `json:"status" enum:"held,scheduled,confirmed"`
}

// Schedules calls the appointment service's realtor schedules, as the
// calling service's own identity (iam).
type Schedules struct{ c *caller }

// NewSchedules returns a client of the appointment service at base.
func NewSchedules(base string, hc *http.Client, tokens TokenSource, opts Options) *Schedules {
	return &Schedules{c: newCaller("appointment", base, hc, tokens, opts)}
}

// Apply asks the appointment service to take a realtor's new schedule. It
// answers the tours the time off would cover (then nothing was recorded),
// or none when the schedule was recorded. Repeating it is harmless.
func (s *Schedules) Apply(ctx context.Context, realtorID string, sch RealtorSchedule) ([]BookedTour, error) {
	resp, err := s.c.call(ctx, http.MethodPut, "/appointments/realtors/"+url.PathEscape(realtorID)+"/schedule", nil, sch, true)
	if err != nil {
		return nil, err
	}
	err = decode(resp, http.StatusOK, nil)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict && apiErr.Problem.Type == TypeTimeOffConflict {
		var body struct {
			Tours []BookedTour `json:"tours"`
		}
		if err := json.Unmarshal(apiErr.Body, &body); err != nil || len(body.Tours) == 0 {
			return nil, fmt.Errorf("schedule of %s: a conflict without its tours: %w", realtorID, apiErr)
		}
		return body.Tours, nil
	}
	if err != nil {
		return nil, fmt.Errorf("schedule of %s: %w", realtorID, err)
	}
	return nil, nil
}

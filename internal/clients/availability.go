package clients

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Candidate is a realtor GET /availability found free near a point.
type Candidate struct {
	RealtorID  string  `json:"realtor_id"`
	DistanceKM float64 `json:"distance_km"`
	Status     string  `json:"status"`
}

// ErrSlotTaken: the realtor is booked for (part of) that time (409).
var ErrSlotTaken = errors.New("slot taken")

// Availability calls the availability service.
type Availability struct{ c *caller }

// NewAvailability returns a client of the availability service at base.
func NewAvailability(base string, hc *http.Client, tokens TokenSource, opts Options) *Availability {
	return &Availability{c: newCaller("availability", base, hc, tokens, opts)}
}

// Search returns the realtors free in [start, end) whose area covers the
// point, nearest first.
func (a *Availability) Search(ctx context.Context, lat, lng float64, start, end time.Time) ([]Candidate, error) {
	q := url.Values{}
	q.Set("lat", strconv.FormatFloat(lat, 'f', -1, 64))
	q.Set("lng", strconv.FormatFloat(lng, 'f', -1, 64))
	q.Set("start", start.UTC().Format(time.RFC3339))
	q.Set("end", end.UTC().Format(time.RFC3339))
	// The most the API gives: a multi-home tour keeps only the realtors
	// found for every home, so a short list per home could miss them.
	q.Set("limit", "100")
	resp, err := a.c.call(ctx, http.MethodGet, "/availability?"+q.Encode(), nil, nil, true)
	if err != nil {
		return nil, err
	}
	var out struct {
		Items []Candidate `json:"items"`
	}
	return out.Items, decode(resp, http.StatusOK, &out)
}

type slotRequest struct {
	Action string    `json:"action"`
	TourID string    `json:"tour_id"`
	Start  time.Time `json:"start,omitempty"`
	End    time.Time `json:"end,omitempty"`
}

// Reserve holds [start, end) of a realtor for a tour; ErrSlotTaken if
// another tour holds part of it. Repeating it for the same tour is safe.
func (a *Availability) Reserve(ctx context.Context, realtorID, tourID string, start, end time.Time) error {
	return a.slot(ctx, realtorID, slotRequest{Action: "reserve", TourID: tourID, Start: start.UTC(), End: end.UTC()})
}

// Release gives a tour's hold on a realtor back. Repeating it is safe.
func (a *Availability) Release(ctx context.Context, realtorID, tourID string, start, end time.Time) error {
	return a.slot(ctx, realtorID, slotRequest{Action: "release", TourID: tourID, Start: start.UTC(), End: end.UTC()})
}

func (a *Availability) slot(ctx context.Context, realtorID string, req slotRequest) error {
	resp, err := a.c.call(ctx, http.MethodPatch, "/availability/"+url.PathEscape(realtorID), nil, req, true)
	if err != nil {
		return err
	}
	if resp.status == http.StatusConflict {
		return ErrSlotTaken
	}
	if err := decode(resp, http.StatusOK, nil); err != nil {
		return fmt.Errorf("%s realtor %s: %w", req.Action, realtorID, err)
	}
	return nil
}

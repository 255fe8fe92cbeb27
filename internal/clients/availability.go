package clients

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/openhouse/openhouse/internal/events"
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

// MaxSearchPoints is the most points one GET /availability may name (the
// API contract's bound).
const MaxSearchPoints = 10

// MaxSearchLimit is the largest limit GET /availability takes (the API
// contract's bound on every list's page).
const MaxSearchLimit = 100

// Search returns at most limit realtors free in [start, end) whose own
// areas cover every one of points (1 to MaxSearchPoints), nearest to the
// first point first: one search for all the homes of a tour. limit is 1
// to MaxSearchLimit.
func (a *Availability) Search(ctx context.Context, points []events.GeoPoint, start, end time.Time, limit int) ([]Candidate, error) {
	if len(points) == 0 || len(points) > MaxSearchPoints {
		return nil, fmt.Errorf("search availability: %d points, want 1 to %d", len(points), MaxSearchPoints)
	}
	q := url.Values{}
	for _, p := range points {
		q.Add("lat", strconv.FormatFloat(p.Lat, 'f', -1, 64))
		q.Add("lng", strconv.FormatFloat(p.Lng, 'f', -1, 64))
	}
	q.Set("start", start.UTC().Format(time.RFC3339))
	q.Set("end", end.UTC().Format(time.RFC3339))
	q.Set("limit", strconv.Itoa(limit))
	resp, err := a.c.call(ctx, http.MethodGet, "/availability?"+q.Encode(), nil, nil, true)
	if err != nil {
		return nil, err
	}
	var out struct {
		Items []Candidate `json:"items"`
	}
	return out.Items, decode(resp, http.StatusOK, &out)
}

// StartRange is a run of starts on a SlotQuery's grid: From, From+Step,
// ... up to To inclusive.
type StartRange struct {
	From, To time.Time
}

// SlotQuery asks GET /availability/slots at which starts some realtor can
// take a tour of Length showing every one of Points (1 to
// MaxSearchPoints homes). Ranges come in order and do not overlap; at most
// 4,096 starts in all (the API's bound). Step 0 is the service's default
// grid, 15 minutes.
type SlotQuery struct {
	Points       []events.GeoPoint
	Ranges       []StartRange
	Step, Length time.Duration
}

// Slots returns, ascending and in UTC, the starts of q at which at least
// one verified, active, available realtor whose area covers every home
// works the whole tour in their own time zone and is free, travel buffer
// included. The answer names no realtor. No ranges: no starts, and no
// call. A query the service refuses is an *APIError (400, naming the
// parameter).
func (a *Availability) Slots(ctx context.Context, q SlotQuery) ([]time.Time, error) {
	if len(q.Points) == 0 || len(q.Points) > MaxSearchPoints {
		return nil, fmt.Errorf("open slots: %d points, want 1 to %d", len(q.Points), MaxSearchPoints)
	}
	if len(q.Ranges) == 0 {
		return []time.Time{}, nil
	}
	v := url.Values{}
	for _, p := range q.Points {
		v.Add("lat", strconv.FormatFloat(p.Lat, 'f', -1, 64))
		v.Add("lng", strconv.FormatFloat(p.Lng, 'f', -1, 64))
	}
	for _, r := range q.Ranges {
		v.Add("from", r.From.UTC().Format(time.RFC3339Nano))
		v.Add("to", r.To.UTC().Format(time.RFC3339Nano))
	}
	if q.Step != 0 {
		v.Set("step", q.Step.String())
	}
	v.Set("length", q.Length.String())
	resp, err := a.c.call(ctx, http.MethodGet, "/availability/slots?"+v.Encode(), nil, nil, true)
	if err != nil {
		return nil, fmt.Errorf("open slots: %w", err)
	}
	var out struct {
		Items []time.Time `json:"items"`
	}
	if err := decode(resp, http.StatusOK, &out); err != nil {
		return nil, fmt.Errorf("open slots: %w", err)
	}
	return out.Items, nil
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

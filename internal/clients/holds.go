package clients

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/openhouse/openhouse/internal/events"
)

// HoldRequest is the body of POST /appointments/holds.
type HoldRequest struct {
	HoldID     string            `json:"hold_id"`
	TourID     string            `json:"tour_id,omitempty"`
	CustomerID string            `json:"customer_id"`
	ListingIDs []string          `json:"listing_ids"`
	Stops      []events.GeoPoint `json:"stops"`
	StartsAt   time.Time         `json:"starts_at"`
	EndsAt     time.Time         `json:"ends_at"`
	Limits     []DayLimit        `json:"limits,omitempty" doc:"The homes' most showings a day: the hold is refused (422, rule max_per_day) when one of them has that many held or booked starting in its day."`
}

// DayLimit is a home's most showings on one of its local days, from From
// up to To: the hold is refused (FullError) when that many are held or
// booked.
type DayLimit struct {
	ListingID string    `json:"listing_id"`
	Max       int       `json:"max" minimum:"1" maximum:"50"`
	From      time.Time `json:"from" doc:"The start of the home's local day."`
	To        time.Time `json:"to" doc:"Its end."`
}

// FullError: a home of the hold has its most showings that day.
type FullError struct{ ListingID string }

func (e FullError) Error() string {
	return "listing " + e.ListingID + " has its most showings that day"
}

// Hold is a realtor held for a window, as the appointment service answers
// it (without naming the realtor).
type Hold struct {
	HoldID    string    `json:"hold_id"`
	TourID    string    `json:"tour_id"`
	Status    string    `json:"status"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ErrNoRealtor: nobody can be held for that window (409 slot-taken).
var ErrNoRealtor = errors.New("no realtor is free for that time")

// Holds calls the appointment service's holds, as the calling service's
// own identity.
type Holds struct{ c *caller }

// NewHolds returns a client of the appointment service's holds at base.
func NewHolds(base string, hc *http.Client, tokens TokenSource, opts Options) *Holds {
	return &Holds{c: newCaller("appointment", base, hc, tokens, opts)}
}

// PlaceHold holds a realtor for the window; ErrNoRealtor if none is free.
// Asking again with the same hold id and window answers the same hold, so
// the caller may repeat it after a timeout.
func (a *Holds) PlaceHold(ctx context.Context, req HoldRequest) (Hold, error) {
	resp, err := a.c.call(ctx, http.MethodPost, "/appointments/holds", nil, req, true)
	if err != nil {
		return Hold{}, err
	}
	var out Hold
	err = decode(resp, http.StatusCreated, &out)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict && apiErr.Problem.Type == "urn:openhouse:problem:slot-taken" {
		return Hold{}, ErrNoRealtor
	}
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusUnprocessableEntity && apiErr.Problem.Type == "urn:openhouse:problem:showing-rule" {
		var ext struct {
			ListingID string `json:"listing_id"`
		}
		_ = json.Unmarshal(apiErr.Body, &ext)
		return Hold{}, FullError{ListingID: ext.ListingID}
	}
	if err != nil {
		return Hold{}, fmt.Errorf("hold %s: %w", req.HoldID, err)
	}
	return out, nil
}

// ReleaseHold gives a hold back; releasing one that is gone is fine.
func (a *Holds) ReleaseHold(ctx context.Context, holdID string) error {
	resp, err := a.c.call(ctx, http.MethodDelete, "/appointments/holds/"+url.PathEscape(holdID), nil, nil, true)
	if err != nil {
		return err
	}
	if err := decode(resp, http.StatusNoContent, nil); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("release hold %s: %w", holdID, err)
	}
	return nil
}

// ShowingDay is how many showings (holds and bookings) of a home start on
// one day of the asked zone.
type ShowingDay struct {
	ListingID string `json:"listing_id"`
	Day       string `json:"day" doc:"The date in the asked zone, YYYY-MM-DD." example:"2026-12-04"`
	Count     int    `json:"count" minimum:"1" example:"2"`
}

// ShowingDays is GET /appointments/showings's answer: the days with
// showings, by home and day; a day left out has none.
type ShowingDays struct {
	TimeZone string       `json:"time_zone" example:"America/Chicago"`
	Items    []ShowingDay `json:"items"`
}

// MaxShowingDays is the most days one showings query covers.
const MaxShowingDays = 16

// ShowingDays counts the showings (holds not lapsed, bookings) of each of
// listingIDs (1 to MaxSearchPoints) per local day of zone, over days days
// (1 to MaxShowingDays) from the date first, leaving out tour exceptTour
// ("" for none): what a home's most showings a day is counted over. The
// answer maps a listing id to its days ("2006-01-02") with a count.
func (a *Holds) ShowingDays(ctx context.Context, listingIDs []string, zone string, first time.Time, days int, exceptTour string) (map[string]map[string]int, error) {
	if len(listingIDs) == 0 || len(listingIDs) > MaxSearchPoints {
		return nil, fmt.Errorf("showing days: %d homes, want 1 to %d", len(listingIDs), MaxSearchPoints)
	}
	v := url.Values{"listing_id": listingIDs}
	v.Set("time_zone", zone)
	v.Set("from", first.Format(time.DateOnly))
	v.Set("days", strconv.Itoa(days))
	if exceptTour != "" {
		v.Set("except_tour", exceptTour)
	}
	resp, err := a.c.call(ctx, http.MethodGet, "/appointments/showings?"+v.Encode(), nil, nil, true)
	if err != nil {
		return nil, fmt.Errorf("showing days: %w", err)
	}
	var out ShowingDays
	if err := decode(resp, http.StatusOK, &out); err != nil {
		return nil, fmt.Errorf("showing days: %w", err)
	}
	byHome := map[string]map[string]int{}
	for _, d := range out.Items {
		if byHome[d.ListingID] == nil {
			byHome[d.ListingID] = map[string]int{}
		}
		byHome[d.ListingID][d.Day] += d.Count
	}
	return byHome, nil
}

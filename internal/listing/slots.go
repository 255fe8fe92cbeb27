package listing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// SlotFinder answers at which starts some realtor can take a tour
// (clients.Availability).
type SlotFinder interface {
	Slots(ctx context.Context, q clients.SlotQuery) ([]time.Time, error)
}

// ShowingCounter counts homes' showings per local day of zone over days
// days from first (clients.Holds.ShowingDays).
type ShowingCounter interface {
	ShowingDays(ctx context.Context, listingIDs []string, zone string, first time.Time, days int, exceptTour string) (map[string]map[string]int, error)
}

// errNoSlots: the service was built without a SlotFinder.
var errNoSlots = errors.New("listing: open slots are not configured")

// Slots lists the starts at which some realtor could show this one home,
// as GET /cart/slots does for a cart: on the grid, within the rules, with
// a realtor free around the visit. It names no realtor.
func (s *Service) Slots(ctx context.Context, id string, q tourplan.SlotsQuery) (tourplan.Slots, error) {
	if s.cfg.Slots == nil {
		return tourplan.Slots{}, errNoSlots
	}
	l, err := s.Get(ctx, id)
	if err != nil {
		return tourplan.Slots{}, err
	}
	loc, err := time.LoadLocation(l.TimeZone)
	if err != nil {
		return tourplan.Slots{}, fmt.Errorf("listing %s: time zone %q: %w", l.ID, l.TimeZone, err)
	}
	now := s.cfg.Clock.Now()
	rules := s.cfg.Rules
	home := tourplan.Home{ListingID: l.ID, Location: events.GeoPoint{Lat: l.Location.Lat, Lng: l.Location.Lng},
		Visit: tourplan.VisitLength(l.Showing, rules)}
	route := tourplan.Plan([]tourplan.Home{home}, now, rules)
	length := route.Length()
	ranges := rules.Starts(q.FirstDay(loc, now), q.Days, length, loc, now)
	if l.Showing.ModeOrAuto() == events.ShowingNone {
		out := tourplan.SlotsOf(nil, length, loc)
		out.Message = l.Showing.Message
		if out.Message == "" {
			out.Message = "This home is not being shown now."
		}
		return out, nil
	}
	if len(ranges) == 0 {
		return tourplan.SlotsOf(nil, length, loc), nil
	}
	query := clients.SlotQuery{Points: route.Points(), Step: rules.Step, Length: length}
	for _, r := range ranges {
		query.Ranges = append(query.Ranges, clients.StartRange{From: r.From, To: r.To})
	}
	starts, err := s.cfg.Slots.Slots(ctx, query)
	if err != nil {
		return tourplan.Slots{}, fmt.Errorf("open slots of listing %s: %w", l.ID, err)
	}
	// The home's showing rules leave out more: starts outside its
	// windows, in its blackouts, under its notice, on a day it has its
	// most showings.
	var full tourplan.DayCounts
	if l.Showing.MaxPerDay > 0 && s.cfg.Showings != nil {
		if full, err = s.cfg.Showings.ShowingDays(ctx, []string{l.ID}, l.TimeZone, q.FirstDay(loc, now), min(q.Days+1, clients.MaxShowingDays), ""); err != nil {
			return tourplan.Slots{}, fmt.Errorf("showings per day of listing %s: %w", l.ID, err)
		}
	}
	kept := starts[:0:0]
	for _, t := range starts {
		if tourplan.VisitBreaks(l.Showing, t, t.Add(length), loc, now) == "" && !full.Full(l.ID, l.Showing, t, loc) {
			kept = append(kept, t)
		}
	}
	return tourplan.SlotsOf(kept, length, loc), nil
}

func (s *Service) handleSlots(w http.ResponseWriter, r *http.Request) {
	id, ok := listingID(w, r)
	if !ok {
		return
	}
	q, field, err := tourplan.ParseSlotsQuery(r.URL.Query())
	if err != nil {
		httpapi.WriteError(w, r, httpapi.BadQueryParam(field, err.Error()))
		return
	}
	slots, err := s.Slots(r.Context(), id, q)
	if errors.Is(err, clients.ErrUnavailable) {
		httpapi.WriteError(w, r, httpapi.Unavailable("open slots cannot be read now; try again shortly"))
		return
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, slots)
}

package cart

import (
	"context"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// MaxAlternatives is how many open slots a slot-taken answer offers.
const MaxAlternatives = tourplan.MaxAlternatives

// Slot is one open start of the cart's tour and its end, in the homes'
// time zone.
type Slot = tourplan.Slot

// Slots lists the starts at which some realtor could show the customer's
// whole cart, over q.Days local days from q's first day: every start on
// the grid whose tour keeps the rules (lead, the homes' day) and for which
// availability has a realtor who covers every home, works the whole route
// in their own hours and is free around it. It names no realtor and says
// nothing about how many.
func (s *Service) Slots(ctx context.Context, customerID string, q tourplan.SlotsQuery) (tourplan.Slots, error) {
	c, err := s.store.Cart(ctx, customerID)
	if err != nil {
		return tourplan.Slots{}, err
	}
	if len(c.Items) == 0 {
		return tourplan.Slots{}, ErrEmpty
	}
	if err := tourable(c.Items); err != nil {
		return tourplan.Slots{}, err
	}
	loc, err := c.Zone()
	if err != nil {
		return tourplan.Slots{}, err
	}
	now := s.cfg.Clock.Now()
	starts, length, err := s.open(ctx, c, loc, q.FirstDay(loc, now), q.Days, now)
	if err != nil {
		return tourplan.Slots{}, err
	}
	out := tourplan.SlotsOf(starts, length, loc)
	out.Message = c.NotShownMessage()
	return out, nil
}

// open asks availability for the cart's open starts over days local days
// from the date of first, and says how long the tour lasts.
func (s *Service) open(ctx context.Context, c Cart, loc *time.Location, first time.Time, days int, now time.Time) ([]time.Time, time.Duration, error) {
	route := c.Route(now, s.cfg.Rules) // the length does not depend on the start
	length := route.Length()
	ranges := s.cfg.Rules.Starts(first, days, length, loc, now)
	if len(ranges) == 0 || !c.Shown() {
		return nil, length, nil
	}
	q := clients.SlotQuery{Points: route.Points(), Step: s.cfg.Rules.Step, Length: length}
	for _, r := range ranges {
		q.Ranges = append(q.Ranges, clients.StartRange{From: r.From, To: r.To})
	}
	starts, err := s.slots.Slots(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("open slots: %w", peerFailure(err))
	}
	// The homes' showing rules leave out more: starts whose visits fall
	// outside a home's windows, in its blackouts, under its notice, or on
	// a day the home has its most showings.
	full, err := s.fullDays(ctx, c, first, days)
	if err != nil {
		return nil, 0, err
	}
	kept := starts[:0:0]
	for _, t := range starts {
		route := c.Route(t, s.cfg.Rules)
		if c.Showable(route, loc, now) && !c.FullOn(route, full, loc) {
			kept = append(kept, t)
		}
	}
	return kept, length, nil
}

// fullDays counts the showings per local day of the cart's homes that have
// a most per day (none asked when no home has one), over days days from
// the date of first, plus one for a route past midnight.
func (s *Service) fullDays(ctx context.Context, c Cart, first time.Time, days int) (tourplan.DayCounts, error) {
	var ids []string
	for _, it := range c.Items {
		if it.Showing.MaxPerDay > 0 {
			ids = append(ids, it.ListingID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	counts, err := s.holds.ShowingDays(ctx, ids, c.Items[0].TimeZone, first, min(days+1, clients.MaxShowingDays), "")
	if err != nil {
		return nil, fmt.Errorf("showings per day: %w", peerFailure(err))
	}
	return counts, nil
}

// Alternatives are up to MaxAlternatives open slots for the cart nearest
// to a start that was not open, looked for tourplan.AlternativeDays either
// side of it.
func (s *Service) Alternatives(ctx context.Context, c Cart, asked time.Time) ([]Slot, error) {
	loc, err := c.Zone()
	if err != nil {
		return nil, err
	}
	now := s.cfg.Clock.Now()
	first := asked.In(loc).AddDate(0, 0, -tourplan.AlternativeDays)
	if first.Before(now) {
		first = now.In(loc)
	}
	starts, length, err := s.open(ctx, c, loc, first, 2*tourplan.AlternativeDays+1, now)
	if err != nil {
		return nil, err
	}
	return tourplan.SlotsOf(tourplan.Nearest(starts, asked, MaxAlternatives), length, loc).Items, nil
}

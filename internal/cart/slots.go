package cart

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// Slot is one open start of a tour and when the tour would end, in the
// homes' time zone.
type Slot struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Slots is the answer of GET /cart/slots.
type Slots struct {
	TimeZone        string `json:"time_zone"`
	DurationMinutes int    `json:"duration_minutes"`
	Items           []Slot `json:"items"`
}

// MaxSlotDays is how many days one GET /cart/slots may cover.
const MaxSlotDays = 14

// MaxAlternatives is how many open slots a slot-taken answer offers.
const MaxAlternatives = 5

// alternativeDays is how far either side of a taken start alternatives are
// looked for.
const alternativeDays = 3

// Slots lists the starts at which some realtor could show the customer's
// whole cart, over days local days from the date of from (the homes'
// today if zero): every start on the grid whose tour keeps the rules
// (lead, the homes' day) and for which availability has a realtor who
// covers every home, works the whole route in their own hours and is free
// around it. It names no realtor and says nothing about how many.
func (s *Service) Slots(ctx context.Context, customerID string, from time.Time, days int) (Slots, error) {
	if days < 1 || days > MaxSlotDays {
		return Slots{}, RuleError{"days", fmt.Sprintf("must be 1 to %d", MaxSlotDays)}
	}
	c, err := s.store.Cart(ctx, customerID)
	if err != nil {
		return Slots{}, err
	}
	if len(c.Items) == 0 {
		return Slots{}, ErrEmpty
	}
	if err := tourable(c.Items); err != nil {
		return Slots{}, err
	}
	loc, err := c.Zone()
	if err != nil {
		return Slots{}, err
	}
	now := s.cfg.Clock.Now()
	if from.IsZero() {
		from = now
	}
	return s.open(ctx, c, loc, from.In(loc), days, now)
}

// open asks availability for the cart's open starts over days local days
// from the date of from.
func (s *Service) open(ctx context.Context, c Cart, loc *time.Location, from time.Time, days int, now time.Time) (Slots, error) {
	route := c.Route(now, s.cfg.Rules) // the length does not depend on the start
	length := route.Length()
	out := Slots{TimeZone: loc.String(), DurationMinutes: int(length / time.Minute), Items: []Slot{}}
	ranges := s.cfg.Rules.Starts(from, days, length, loc, now)
	if len(ranges) == 0 {
		return out, nil
	}
	q := clients.SlotQuery{Points: route.Points(), Step: s.cfg.Rules.Step, Length: length}
	for _, r := range ranges {
		q.Ranges = append(q.Ranges, clients.StartRange{From: r.From, To: r.To})
	}
	starts, err := s.slots.Slots(ctx, q)
	if err != nil {
		return Slots{}, fmt.Errorf("open slots: %w", err)
	}
	for _, t := range starts {
		out.Items = append(out.Items, Slot{Start: t.In(loc), End: t.Add(length).In(loc)})
	}
	return out, nil
}

// Alternatives are up to MaxAlternatives open slots for the cart nearest
// to a start that was not open, from alternativeDays days before it to as
// many after, nearest first.
func (s *Service) Alternatives(ctx context.Context, c Cart, asked time.Time) ([]Slot, error) {
	loc, err := c.Zone()
	if err != nil {
		return nil, err
	}
	now := s.cfg.Clock.Now()
	from := asked.In(loc).AddDate(0, 0, -alternativeDays)
	if from.Before(now) {
		from = now.In(loc)
	}
	open, err := s.open(ctx, c, loc, from, 2*alternativeDays+1, now)
	if err != nil {
		return nil, err
	}
	items := open.Items
	slices.SortStableFunc(items, func(a, b Slot) int {
		da, db := absDuration(a.Start.Sub(asked)), absDuration(b.Start.Sub(asked))
		if da != db {
			return int(da - db)
		}
		return a.Start.Compare(b.Start)
	})
	return items[:min(len(items), MaxAlternatives)], nil
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// Rules are the tour rules the cart plans with.
func (s *Service) Rules() tourplan.Rules { return s.cfg.Rules }

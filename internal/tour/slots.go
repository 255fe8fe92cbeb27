package tour

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/platform/fault"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// maxAlternatives is how many open times a refused reschedule offers.
const maxAlternatives = tourplan.MaxAlternatives

// typeSlotTaken is the problem type of a time that is not open.
const typeSlotTaken = "urn:openhouse:problem:slot-taken"

// slotTakenError refuses a time that is not open for the tour's homes,
// with the nearest open times.
type slotTakenError struct{ Alternatives []tourplan.Slot }

func (e *slotTakenError) Error() string {
	return fmt.Sprintf("that time is not open; %d alternatives", len(e.Alternatives))
}

// Answer is a conflict of type TypeSlotTaken with the alternatives.
func (e *slotTakenError) Answer() fault.Answer {
	return fault.Answer{Kind: fault.KindConflict, Type: typeSlotTaken, Title: "Slot taken",
		Detail:     "that time is not open for this tour's homes; alternatives are the nearest open times",
		Extensions: map[string]any{"alternatives": e.Alternatives}}
}

// Slots lists the open starts for t's route, the same homes in the same
// order, over q.Days local days from q's first day (GET /tours/{id}/slots,
// the reschedule picker): the starts at which some realtor could show the
// tour, no sooner than a reschedule may move it to. Like the alternatives
// of a refused move they come from the availability index, which counts
// the tour's own booking as busy: times overlapping it (buffer included)
// are left out although a move there keeps its realtor. It names no
// realtor.
func (s *Service) Slots(ctx context.Context, t tour, q tourplan.SlotsQuery) (tourplan.Slots, error) {
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return tourplan.Slots{}, err
	}
	now := s.cfg.Clock.Now()
	length := t.EndsAt.Sub(t.ScheduledAt)
	starts, err := s.open(ctx, t, q.FirstDay(loc, now), q.Days, loc, now)
	if err != nil {
		return tourplan.Slots{}, err
	}
	return tourplan.SlotsOf(starts, length, loc), nil
}

// alternatives are the open starts for t's route nearest to its (asked)
// start, up to MaxAlternatives, looked for tourplan.AlternativeDays either
// side of it.
func (s *Service) alternatives(ctx context.Context, t tour) ([]tourplan.Slot, error) {
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Clock.Now()
	first := t.ScheduledAt.AddDate(0, 0, -tourplan.AlternativeDays)
	if first.Before(now) {
		first = now
	}
	starts, err := s.open(ctx, t, first, 2*tourplan.AlternativeDays+1, loc, now)
	if err != nil {
		return nil, err
	}
	return tourplan.SlotsOf(tourplan.Nearest(starts, t.ScheduledAt, maxAlternatives), t.EndsAt.Sub(t.ScheduledAt), loc).Items, nil
}

// open asks availability for the starts of t's route over days local days
// from the date of first, under a reschedule's lead.
func (s *Service) open(ctx context.Context, t tour, first time.Time, days int, loc *time.Location, now time.Time) ([]time.Time, error) {
	length := t.EndsAt.Sub(t.ScheduledAt)
	plan := s.cfg.Rules.Plan
	// A reschedule closes ChangeBefore ahead, later than a new tour's lead.
	plan.MinLead = max(plan.MinLead, s.cfg.Rules.ChangeBefore+plan.Step)
	ranges := plan.Starts(first, days, length, loc, now)
	if len(ranges) == 0 {
		return []time.Time{}, nil
	}
	q := clients.SlotQuery{Points: t.Points(), Step: plan.Step, Length: length}
	for _, r := range ranges {
		q.Ranges = append(q.Ranges, clients.StartRange{From: r.From, To: r.To})
	}
	starts, err := s.slots.Slots(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("open slots: %w", peerFailure(err))
	}
	// The homes' showing rules as they are now leave out more: visits
	// outside a home's windows, in its blackouts, under its notice, on a
	// day it has its most showings (the tour's own left out).
	rules, err := s.rulesOf(ctx, t.ListingIDs())
	if err != nil {
		return nil, err
	}
	full, err := s.fullDays(ctx, t, rules, first.In(loc), days)
	if err != nil {
		return nil, err
	}
	kept := starts[:0:0]
	for _, start := range starts {
		moved := t
		moved.Stops = slices.Clone(t.Stops)
		if moved.Plan(start, s.cfg.Rules) != nil {
			continue
		}
		if moved.ShowingBreaks(rules, now) == nil && !moved.FullOn(rules, full) {
			kept = append(kept, start)
		}
	}
	return kept, nil
}

package tour

import (
	"context"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// MaxAlternatives is how many open times a refused reschedule offers.
const MaxAlternatives = tourplan.MaxAlternatives

// SlotTakenError refuses a time that is not open for the tour's homes,
// with the nearest open times.
type SlotTakenError struct{ Alternatives []tourplan.Slot }

func (e *SlotTakenError) Error() string {
	return fmt.Sprintf("that time is not open; %d alternatives", len(e.Alternatives))
}

// alternatives are the open starts for t's route nearest to its (asked)
// start, up to MaxAlternatives, looked for tourplan.AlternativeDays either
// side of it.
func (s *Service) alternatives(ctx context.Context, t Tour) ([]tourplan.Slot, error) {
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Clock.Now()
	length := t.EndsAt.Sub(t.ScheduledAt)
	first := t.ScheduledAt.AddDate(0, 0, -tourplan.AlternativeDays)
	if first.Before(now) {
		first = now
	}
	plan := s.cfg.Rules.Plan
	// A reschedule closes ChangeBefore ahead, later than a new tour's lead.
	plan.MinLead = max(plan.MinLead, s.cfg.Rules.ChangeBefore+plan.Step)
	ranges := plan.Starts(first, 2*tourplan.AlternativeDays+1, length, loc, now)
	if len(ranges) == 0 {
		return []tourplan.Slot{}, nil
	}
	q := clients.SlotQuery{Points: t.Points(), Step: plan.Step, Length: length}
	for _, r := range ranges {
		q.Ranges = append(q.Ranges, clients.StartRange{From: r.From, To: r.To})
	}
	starts, err := s.slots.Slots(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("open slots: %w", err)
	}
	return tourplan.SlotsOf(tourplan.Nearest(starts, t.ScheduledAt, MaxAlternatives), length, loc).Items, nil
}

package tour

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
)

// MaxAlternatives is how many open times a refused reschedule offers, and
// alternativeDays how far either side of the asked time they are looked
// for.
const (
	MaxAlternatives = 5
	alternativeDays = 3
)

// Slot is an open start of a tour and its end, in the homes' zone.
type Slot struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// SlotTakenError refuses a time that is not open for the tour's homes,
// with the nearest open times.
type SlotTakenError struct{ Alternatives []Slot }

func (e *SlotTakenError) Error() string {
	return fmt.Sprintf("that time is not open; %d alternatives", len(e.Alternatives))
}

// alternatives are the open starts for t's route nearest to its (asked)
// start, up to MaxAlternatives.
func (s *Service) alternatives(ctx context.Context, t Tour) ([]Slot, error) {
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Clock.Now()
	length := t.EndsAt.Sub(t.ScheduledAt)
	from := t.ScheduledAt.AddDate(0, 0, -alternativeDays)
	if from.Before(now) {
		from = now
	}
	plan := s.cfg.Rules.Plan
	// A reschedule closes ChangeBefore ahead, later than a new tour's lead.
	plan.MinLead = max(plan.MinLead, s.cfg.Rules.ChangeBefore+plan.Step)
	ranges := plan.Starts(from, 2*alternativeDays+1, length, loc, now)
	if len(ranges) == 0 {
		return []Slot{}, nil
	}
	q := clients.SlotQuery{Points: t.Points(), Step: plan.Step, Length: length}
	for _, r := range ranges {
		q.Ranges = append(q.Ranges, clients.StartRange{From: r.From, To: r.To})
	}
	starts, err := s.slots.Slots(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("open slots: %w", err)
	}
	asked := t.ScheduledAt
	slices.SortStableFunc(starts, func(a, b time.Time) int {
		da, db := a.Sub(asked).Abs(), b.Sub(asked).Abs()
		if da != db {
			return int(da - db)
		}
		return a.Compare(b)
	})
	out := make([]Slot, 0, MaxAlternatives)
	for _, st := range starts[:min(len(starts), MaxAlternatives)] {
		out = append(out, Slot{Start: st.In(loc), End: st.Add(length).In(loc)})
	}
	return out, nil
}

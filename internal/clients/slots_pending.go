package clients

import (
	"context"
	"time"

	"github.com/openhouse/openhouse/internal/events"
)

// PENDING: replaced by the slotsindex branch's definitions on merge.

// StartRange is the starts from From to To inclusive, on the grid.
type StartRange struct{ From, To time.Time }

// SlotQuery asks availability at which starts some realtor can take a tour.
type SlotQuery struct {
	Points []events.GeoPoint
	Ranges []StartRange
	Step   time.Duration
	Length time.Duration
}

// Slots returns the starts of q at which some realtor can take the tour.
// PENDING: a per-start search loop until the index's own slots API lands.
func (a *Availability) Slots(ctx context.Context, q SlotQuery) ([]time.Time, error) {
	var out []time.Time
	for _, r := range q.Ranges {
		for t := r.From; !t.After(r.To); t = t.Add(q.Step) {
			c, err := a.Search(ctx, q.Points, t, t.Add(q.Length), 1)
			if err != nil {
				return nil, err
			}
			if len(c) > 0 {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

package tour

import (
	"context"
	"errors"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// realtorName is what the tour service keeps of a realtor: the name a
// customer sees on their tour. It comes from iam's realtor.profile_changed
// events, which every assignable realtor has sent (verification sends one,
// and no realtor is assigned unverified) and which every rename sends, so
// the tour service needs no call to iam while answering.
type realtorName struct {
	ID        string
	Name      string
	ChangedAt time.Time
}

// onRealtorProfileChanged keeps the realtor's name. Late or repeated news
// changes nothing: the store keeps the newest change.
func (s *Service) onRealtorProfileChanged(ctx context.Context, ev bus.Event) error {
	p, err := bus.DataOf[events.RealtorProfileChanged](ev)
	if err != nil {
		return err
	}
	if p.RealtorID == "" || p.Name == "" {
		return bus.Permanent(errors.New("realtor profile without an id or a name"))
	}
	at := p.At
	if at.IsZero() {
		at = ev.Time()
	}
	return s.store.SaveRealtor(ctx, realtorName{ID: p.RealtorID, Name: p.Name, ChangedAt: at})
}

// views turns tours into their HTTP form, with their realtors' names read
// in one query.
func (s *Service) views(ctx context.Context, tours []tour) ([]tourView, error) {
	var ids []string
	for _, t := range tours {
		if t.RealtorID != "" {
			ids = append(ids, t.RealtorID)
		}
	}
	names, err := s.store.RealtorNames(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]tourView, len(tours))
	for i, t := range tours {
		out[i] = viewOf(t)
		if name, ok := names[t.RealtorID]; ok {
			out[i].RealtorName = &name
		}
	}
	return out, nil
}

// view is views for one tour.
func (s *Service) view(ctx context.Context, t tour) (tourView, error) {
	v, err := s.views(ctx, []tour{t})
	if err != nil {
		return tourView{}, err
	}
	return v[0], nil
}

package notification

import (
	"context"
	"fmt"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// onTourAccessOpened tells the realtor named in the event that the homes'
// access opened to them. The tour service sends it once per realtor and
// start; the inbox applies it once per event. It does not replace the
// tour's snapshot (the tour did not change).
func (s *Service) onTourAccessOpened(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.TourAccessOpened](ev)
	if err != nil {
		return err
	}
	if e.TourID == "" || e.RealtorID == "" {
		return bus.Permanent(fmt.Errorf("%s %s: no tour or realtor", ev.Type(), ev.ID()))
	}
	return s.tellOnce(ctx, ev, e.Tour, kindAccessOpen, e.RealtorID, roleRealtor)
}

// onFeedbackRequested asks the tour's customer or realtor named in the
// event for feedback on its homes. The tour service sends it once per
// tour and person; the inbox applies it once per event.
func (s *Service) onFeedbackRequested(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.FeedbackRequested](ev)
	if err != nil {
		return err
	}
	role := roleCustomer
	if e.Role == roleRealtor {
		role = roleRealtor
	}
	if e.TourID == "" || e.UserID == "" {
		return bus.Permanent(fmt.Errorf("%s %s: no tour or person", ev.Type(), ev.ID()))
	}
	return s.tellOnce(ctx, ev, e.Tour, kindFeedbackRequest, e.UserID, role)
}

// tellOnce sends one notification of kind to user for the event, once.
func (s *Service) tellOnce(ctx context.Context, ev bus.Event, t events.Tour, kind Kind, user, role string) error {
	var sent []notification
	err := s.store.Apply(ctx, ev.ID(), "tour:"+t.TourID, func(ctx context.Context, v view) (changes, error) {
		ch := changes{At: s.cfg.Clock.Now().UTC()}
		if err := s.notify(ctx, v, &ch, kind, user, role, t, details{}, ch.At); err != nil {
			return changes{}, err
		}
		sent = ch.Notifications
		return ch, nil
	})
	if err == nil {
		s.metrics.inboxed(sent)
	}
	return err
}

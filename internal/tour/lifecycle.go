package tour

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// eventOf is a tour as its events carry it.
func eventOf(t Tour) events.Tour {
	e := events.Tour{TourID: t.ID, CustomerID: t.CustomerID, PaymentID: t.PaymentID, OrderID: t.OrderID,
		TimeZone: t.TimeZone, ScheduledAt: t.ScheduledAt, EndsAt: t.EndsAt, Status: string(t.Status),
		RealtorID: t.RealtorID, Version: t.Version, Stops: make([]events.TourStop, len(t.Stops))}
	for i, st := range t.Stops {
		e.Stops[i] = events.TourStop(st)
	}
	return e
}

func (s *Service) event(ctx context.Context, typ string, t Tour, wrap func(events.Tour) any) (bus.Event, error) {
	return bus.NewEvent(ctx, typ, t.ID, wrap(eventOf(t)), s.cfg.Clock.Now())
}

// CreateFromPayment creates the tour a payment paid for, planning its
// route from the listings' locations. A payment creates one tour, however
// often its event arrives.
func (s *Service) CreateFromPayment(ctx context.Context, p events.PaymentSucceeded) (Tour, error) {
	now := s.cfg.Clock.Now()
	t := Tour{ID: uuid.NewString(), CustomerID: p.CustomerID, PaymentID: p.PaymentID, OrderID: p.OrderID,
		Paid: p.Amount, Status: Pending, Version: 1, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	for _, id := range p.ListingIDs {
		l, err := s.listings.Get(ctx, id)
		if errors.Is(err, clients.ErrNotFound) {
			// The home left the market between checkout and now: the tour
			// is created without it; if none is left it is cancelled below.
			continue
		}
		if err != nil {
			return Tour{}, fmt.Errorf("read listing %s: %w", id, err)
		}
		t.Stops = append(t.Stops, Stop{ListingID: l.ID, ProviderID: l.ProviderID, Title: l.Title, Location: l.Location})
		t.TimeZone = l.TimeZone
	}
	if len(t.Stops) == 0 {
		t.TimeZone = "UTC"
	}
	if err := t.Plan(p.ScheduledAt, s.cfg.Rules); err != nil && len(t.Stops) > 0 {
		// Checkout checked the rules; planning the real route can still
		// come out a few minutes longer. Keep the customer's start.
		s.cfg.Log.WarnContext(ctx, "tour route exceeds the day", "payment_id", p.PaymentID, "err", err)
	}
	if t.ScheduledAt.IsZero() {
		t.ScheduledAt, t.EndsAt = p.ScheduledAt.UTC(), p.ScheduledAt.UTC()
	}
	created, err := s.event(ctx, events.TypeTourCreated, t, func(e events.Tour) any {
		return events.TourCreated{Tour: e, CreatedAt: now.UTC()}
	})
	if err != nil {
		return Tour{}, err
	}
	evs := []bus.Event{created}
	if len(t.Stops) == 0 {
		if err := t.Cancel(BySystem, "listing_removed", now, s.cfg.Rules); err != nil {
			return Tour{}, err
		}
		cancelled, err := s.event(ctx, events.TypeTourCancelled, t, func(e events.Tour) any {
			return events.TourCancelled{Tour: e, Reason: t.CancelReason, CancelledBy: "system", Refund: t.Refund, CancelledAt: now.UTC()}
		})
		if err != nil {
			return Tour{}, err
		}
		evs = append(evs, cancelled)
	}
	if err := s.store.Create(ctx, t, evs...); err != nil {
		return Tour{}, err
	}
	s.cfg.Log.InfoContext(ctx, "tour created", "tour_id", t.ID, "payment_id", t.PaymentID, "stops", len(t.Stops))
	return t, nil
}

// Reschedule moves a tour to a new start.
func (s *Service) Reschedule(ctx context.Context, id string, start time.Time) (Tour, error) {
	now := s.cfg.Clock.Now()
	return s.store.Update(ctx, id, "", func(t *Tour) ([]bus.Event, error) {
		previous, before := t.ScheduledAt, *t
		if err := t.Reschedule(start, now, s.cfg.Rules); err != nil {
			return nil, err
		}
		ev, err := s.event(ctx, events.TypeTourRescheduled, *t, func(e events.Tour) any {
			return events.TourRescheduled{Tour: e, PreviousScheduledAt: previous, RescheduledAt: now.UTC()}
		})
		if err != nil {
			return nil, err
		}
		audited, err := adminAudit(ctx, "tour.rescheduled", before, *t, now)
		return append([]bus.Event{ev}, audited...), err
	})
}

// Cancel cancels a tour on behalf of a customer or an admin.
func (s *Service) Cancel(ctx context.Context, id string, by CancelBy, actor string) (Tour, error) {
	return s.cancel(ctx, id, "", by, string(by), actor)
}

func (s *Service) cancel(ctx context.Context, id, eventID string, by CancelBy, reason, actor string) (Tour, error) {
	now := s.cfg.Clock.Now()
	return s.store.Update(ctx, id, eventID, func(t *Tour) ([]bus.Event, error) {
		before := *t
		if err := t.Cancel(by, reason, now, s.cfg.Rules); err != nil {
			if errors.Is(err, ErrFinished) && by == BySystem {
				return nil, nil // already over: nothing to do
			}
			return nil, err
		}
		ev, err := s.event(ctx, events.TypeTourCancelled, *t, func(e events.Tour) any {
			return events.TourCancelled{Tour: e, Reason: reason, CancelledBy: actor, Refund: t.Refund, CancelledAt: now.UTC()}
		})
		if err != nil {
			return nil, err
		}
		var audited []bus.Event
		if by == ByAdmin {
			audited, err = adminAudit(ctx, "tour.cancelled", before, *t, now)
		}
		return append([]bus.Event{ev}, audited...), err
	})
}

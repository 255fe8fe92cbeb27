package tour

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// eventOf is a tour as its events carry it.
func eventOf(t tour) events.Tour {
	e := events.Tour{TourID: t.ID, CustomerID: t.CustomerID, PaymentID: t.PaymentID, OrderID: t.OrderID,
		TimeZone: t.TimeZone, ScheduledAt: t.ScheduledAt, EndsAt: t.EndsAt, Status: string(t.Status),
		RealtorID: t.RealtorID, NoShow: !t.NoShowAt.IsZero(), Version: t.Version, Stops: make([]events.TourStop, len(t.Stops))}
	for i, st := range t.Stops {
		e.Stops[i] = events.TourStop{ListingID: st.ListingID, ProviderID: st.ProviderID, Title: st.Title, Location: st.Location,
			Arrive: st.Arrive, Leave: st.Leave, TourFee: st.Fee, Approval: string(st.Approval)}
	}
	return e
}

func (s *Service) event(ctx context.Context, typ string, t tour, wrap func(events.Tour) any) (bus.Event, error) {
	return bus.NewEvent(ctx, typ, t.ID, wrap(eventOf(t)), s.cfg.Clock.Now())
}

// ApplyOrder learns half of a cart order (what was ordered, or that it
// was paid) once per event, and makes the order's tour when both halves
// are known, exactly once whichever arrives first. learn changes the
// order.
func (s *Service) ApplyOrder(ctx context.Context, eventID, orderID string, learn func(o *order, now time.Time)) error {
	now := s.cfg.Clock.Now()
	var made *tour
	err := s.store.ChangeOrder(ctx, eventID, orderID, func(o *order) (*tour, []bus.Event, error) {
		learn(o, now)
		if !o.Ready() {
			return nil, nil, nil
		}
		t := o.Tour(now)
		asks := t.RequestApproval(now, s.cfg.Rules)
		hold := o.Placed.HoldID
		created, err := s.event(ctx, events.TypeTourCreated, t, func(e events.Tour) any {
			e.HoldID = hold
			return events.TourCreated{Tour: e, CreatedAt: now.UTC()}
		})
		if err != nil {
			return nil, nil, err
		}
		evs := []bus.Event{created}
		if asks {
			asked, err := s.approvalRequested(ctx, t, now)
			if err != nil {
				return nil, nil, err
			}
			evs = append(evs, asked)
		}
		made = &t
		return &t, evs, nil
	})
	if err == nil && made != nil {
		s.cfg.Log.InfoContext(ctx, "tour created", "tour_id", made.ID, "payment_id", made.PaymentID, "stops", len(made.Stops))
	}
	return err
}

// Reschedule moves a tour to a new start, keeping its route and its
// homes' showing rules as they are now (a tourplan.ShowingError naming the
// first broken, as a checkout is refused): a realtor is
// held for the new window first (the tour's own if free, else another),
// so a time nobody can do is refused (*SlotTakenError, with the nearest
// open times) and leaves the tour as it was. The appointment service books
// the tour's new time from that hold when the tour.rescheduled event
// reaches it.
func (s *Service) Reschedule(ctx context.Context, id string, start time.Time) (tour, error) {
	now := s.cfg.Clock.Now()
	current, err := s.store.Get(ctx, id)
	if err != nil {
		return tour{}, err
	}
	moved := current
	moved.Stops = slices.Clone(current.Stops)
	if err := moved.Reschedule(start, now, s.cfg.Rules); err != nil {
		return tour{}, err
	}
	rules, err := s.rulesOf(ctx, moved.ListingIDs())
	if err != nil {
		return tour{}, err
	}
	if broken := moved.ShowingBreaks(rules, now); broken != nil {
		return tour{}, *broken
	}
	hold, err := s.holdFor(ctx, moved, rules)
	if err != nil {
		return tour{}, err
	}
	t, err := s.store.Update(ctx, id, "", func(t *tour) ([]bus.Event, error) {
		previous, before := t.ScheduledAt, *t
		if err := t.Reschedule(start, now, s.cfg.Rules); err != nil {
			return nil, err
		}
		ev, err := s.event(ctx, events.TypeTourRescheduled, *t, func(e events.Tour) any {
			e.HoldID = hold
			return events.TourRescheduled{Tour: e, PreviousScheduledAt: previous, RescheduledAt: now.UTC()}
		})
		if err != nil {
			return nil, err
		}
		audited, err := adminAudit(ctx, "tour.rescheduled", before, *t, now)
		return append([]bus.Event{ev}, audited...), err
	})
	if err != nil {
		if rerr := s.holds.ReleaseHold(context.WithoutCancel(ctx), hold); rerr != nil {
			s.cfg.Log.WarnContext(ctx, "release reschedule hold; it will lapse", "hold_id", hold, "err", rerr)
		}
		return tour{}, err
	}
	return t, nil
}

// holdFor holds a realtor for t's (new) window, keeping its homes' most
// showings a day under rules, or answers why not.
func (s *Service) holdFor(ctx context.Context, t tour, rules homeRules) (string, error) {
	if s.cfg.Rules.Plan.OnGrid(t.ScheduledAt) {
		h, err := s.holds.PlaceHold(ctx, clients.HoldRequest{HoldID: uuid.NewString(), TourID: t.ID, CustomerID: t.CustomerID,
			ListingIDs: t.ListingIDs(), Stops: t.Points(), StartsAt: t.ScheduledAt, EndsAt: t.EndsAt, Limits: t.DayLimits(rules)})
		if err == nil {
			return h.HoldID, nil
		}
		var full clients.FullError
		if errors.As(err, &full) {
			return "", tourplan.ShowingError{Rule: tourplan.RuleMaxPerDay, ListingID: full.ListingID,
				Message: tourplan.RuleMessage(tourplan.RuleMaxPerDay, rules[full.ListingID])}
		}
		if !errors.Is(err, clients.ErrNoRealtor) {
			return "", fmt.Errorf("hold a realtor for tour %s: %w", t.ID, peerFailure(err))
		}
	}
	alts, err := s.alternatives(ctx, t)
	if err != nil {
		return "", err
	}
	return "", &slotTakenError{Alternatives: alts}
}

// Cancel cancels a tour on behalf of a customer or an admin.
func (s *Service) Cancel(ctx context.Context, id string, by cancelBy, actor string) (tour, error) {
	return s.cancel(ctx, id, "", by, string(by), actor)
}

func (s *Service) cancel(ctx context.Context, id, eventID string, by cancelBy, reason, actor string) (tour, error) {
	now := s.cfg.Clock.Now()
	return s.store.Update(ctx, id, eventID, func(t *tour) ([]bus.Event, error) {
		before := *t
		if err := t.Cancel(by, reason, now, s.cfg.Rules); err != nil {
			if errors.Is(err, errFinished) && by == cancelBySystem {
				return nil, nil // already over: nothing to do
			}
			return nil, err
		}
		ev, err := s.event(ctx, events.TypeTourCancelled, *t, func(e events.Tour) any {
			return events.TourCancelled{Tour: e, Reason: reason, CancelledBy: actor, Refund: t.Refund, StopsRefunded: t.StopsRefunded, CancelledAt: now.UTC()}
		})
		if err != nil {
			return nil, err
		}
		var audited []bus.Event
		if by == cancelByAdmin {
			audited, err = adminAudit(ctx, "tour.cancelled", before, *t, now)
		}
		return append([]bus.Event{ev}, audited...), err
	})
}

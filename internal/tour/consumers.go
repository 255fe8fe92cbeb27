package tour

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// onOrderPlaced, onPaymentSucceeded and onPaymentFailed follow a cart
// order to its tour: made once the order is both placed and paid.
func (s *Service) onOrderPlaced(ctx context.Context, ev bus.Event) error {
	o, err := bus.DataOf[events.OrderPlaced](ev)
	if err != nil {
		return err
	}
	if len(o.Stops) == 0 {
		return bus.Permanent(errors.New("an order without homes"))
	}
	return s.applyOrder(ctx, ev.ID(), o.OrderID, func(ord *order, now time.Time) { ord.Place(o, now) })
}

func (s *Service) onPaymentSucceeded(ctx context.Context, ev bus.Event) error {
	p, err := bus.DataOf[events.PaymentSucceeded](ev)
	if err != nil {
		return err
	}
	return s.applyOrder(ctx, ev.ID(), p.OrderID, func(ord *order, now time.Time) { ord.Pay(p.PaymentID, p.Amount, now) })
}

func (s *Service) onPaymentFailed(ctx context.Context, ev bus.Event) error {
	p, err := bus.DataOf[events.PaymentFailed](ev)
	if err != nil {
		return err
	}
	return s.applyOrder(ctx, ev.ID(), p.OrderID, func(ord *order, now time.Time) { ord.Fail(now) })
}

func (s *Service) applyOrder(ctx context.Context, eventID, orderID string, learn func(o *order, now time.Time)) error {
	err := s.ApplyOrder(ctx, eventID, orderID, learn)
	if errors.Is(err, errAlreadyExists) {
		// A tour for this payment exists under another order: a payment
		// pays for one order; nothing more to make.
		s.cfg.Log.WarnContext(ctx, "order's payment already has a tour", "order_id", orderID)
		return nil
	}
	return err
}

// applyAppointment updates the tour an appointment event is about, once
// per event, ignoring news older than what the tour has applied.
func (s *Service) applyAppointment(ctx context.Context, ev bus.Event, tourID string, change func(t *tour, now time.Time) (string, any)) error {
	_, err := s.store.Update(ctx, tourID, ev.ID(), func(t *tour) ([]bus.Event, error) {
		now := s.cfg.Clock.Now()
		typ, payload := change(t, now)
		if typ == "" {
			return nil, nil
		}
		out, err := s.event(ctx, typ, *t, func(e events.Tour) any { return payload })
		return []bus.Event{out}, err
	})
	if errors.Is(err, errNotFound) {
		return bus.Permanent(err)
	}
	return err
}

func (s *Service) onAppointmentScheduled(ctx context.Context, ev bus.Event) error {
	a, err := bus.DataOf[events.AppointmentScheduled](ev)
	if err != nil {
		return err
	}
	var waited time.Duration
	first := false
	err = s.applyAppointment(ctx, ev, a.TourID, func(t *tour, now time.Time) (string, any) {
		// The first assignment of the tour, straight from payment or
		// after waiting unassigned; not a re-assignment after a decline
		// or a reschedule, however long it waited in between.
		first = t.FirstAssignedAt.IsZero()
		if !t.Assign(a.RealtorID, a.ScheduledAt, now) {
			first = false
			return "", nil
		}
		waited = a.ScheduledAt.Sub(t.CreatedAt)
		if t.Status == statusAwaitingApproval {
			// Booked, but told once the providers approve (approvals.go).
			return "", nil
		}
		return events.TypeTourScheduled, events.TourScheduled{Tour: eventOf(*t), At: now.UTC()}
	})
	if err == nil && first {
		s.metrics.timeToSchedule.Observe(max(waited, 0).Seconds())
	}
	return err
}

func (s *Service) onAppointmentUnassigned(ctx context.Context, ev bus.Event) error {
	a, err := bus.DataOf[events.AppointmentUnassigned](ev)
	if err != nil {
		return err
	}
	return s.applyAppointment(ctx, ev, a.TourID, func(t *tour, now time.Time) (string, any) {
		if !t.Unassign(a.At, now) || t.Status == statusAwaitingApproval {
			return "", nil
		}
		return events.TypeTourUnassigned, events.TourUnassigned{Tour: eventOf(*t), At: now.UTC()}
	})
}

// onAppointmentReleased: a realtor who declined leaves the tour pending
// until the next assignment; releases after cancellation or rescheduling
// change nothing here (the tour already moved on).
func (s *Service) onAppointmentReleased(ctx context.Context, ev bus.Event) error {
	a, err := bus.DataOf[events.AppointmentReleased](ev)
	if err != nil {
		return err
	}
	if a.Reason != "declined" {
		return nil
	}
	return s.applyAppointment(ctx, ev, a.TourID, func(t *tour, now time.Time) (string, any) {
		t.Release(a.RealtorID, a.ReleasedAt, now)
		return "", nil
	})
}

func (s *Service) onListingDeleted(ctx context.Context, ev bus.Event) error {
	l, err := bus.DataOf[events.ListingDeleted](ev)
	if err != nil {
		return err
	}
	ids, err := s.store.ActiveWithListing(ctx, l.ListingID, s.cfg.Clock.Now())
	if err != nil {
		return err
	}
	return s.cancelAll(ctx, ev.ID(), ids, "listing_removed")
}

func (s *Service) onUserStatusChanged(ctx context.Context, ev bus.Event) error {
	u, err := bus.DataOf[events.UserStatusChanged](ev)
	if err != nil {
		return err
	}
	if u.Role != "provider" || u.Status != "suspended" {
		return nil
	}
	ids, err := s.store.ActiveWithProvider(ctx, u.UserID, s.cfg.Clock.Now())
	if err != nil {
		return err
	}
	return s.cancelAll(ctx, ev.ID(), ids, "provider_suspended")
}

// cancelAll cancels tours for one event; each tour's cancellation is
// applied once per event (the inbox key joins both ids), so a retry after
// a partial failure finishes the rest.
func (s *Service) cancelAll(ctx context.Context, eventID string, ids []string, reason string) error {
	for _, id := range ids {
		if _, err := s.cancel(ctx, id, eventID+":"+id, cancelBySystem, reason, "system"); err != nil {
			return err
		}
	}
	return nil
}

// onTourCancelled refunds what the cancellation rule grants. The refund's
// idempotency key is the tour's, so redeliveries refund once.
func (s *Service) onTourCancelled(ctx context.Context, ev bus.Event) error {
	c, err := bus.DataOf[events.TourCancelled](ev)
	if err != nil {
		return err
	}
	if c.Refund.Amount <= 0 || c.PaymentID == "" {
		return nil
	}
	amount := c.Refund
	key, reason := "tour-cancel:"+c.TourID, "tour cancelled: "+c.Reason
	_, err = s.payments.Refund(ctx, c.PaymentID, key, clients.RefundRequest{Amount: &amount, Reason: reason})
	var over *clients.OverRefund
	if errors.As(err, &over) {
		return s.refundWhatIsOwed(ctx, c, key, reason, over)
	}
	var apiErr *clients.APIError
	if errors.As(err, &apiErr) {
		// The payment service refused for another reason: retrying cannot
		// help; it goes to the dead letters for a person.
		return bus.Permanent(err)
	}
	return err
}

// refundWhatIsOwed finishes a cancellation's refund when others were made
// first (an admin refunding by hand while the customer cancels; a declined
// home's fee): what was refunded already counts toward what the
// cancellation grants on top of the declined homes' fees, so only the
// difference is refunded, and nothing when it is all back already. Refunds still pending are waited for (the
// event is retried), since they may yet fail.
func (s *Service) refundWhatIsOwed(ctx context.Context, c events.TourCancelled, key, reason string, over *clients.OverRefund) error {
	owed := c.Refund.Amount + c.StopsRefunded.Amount - over.Refunded.Amount
	switch {
	case owed <= 0:
		s.cfg.Log.InfoContext(ctx, "cancellation refund already made", "tour_id", c.TourID, "payment_id", c.PaymentID,
			"refunded", over.Refunded.Amount, "granted", c.Refund.Amount)
		return nil
	case over.Pending.Amount > 0:
		return fmt.Errorf("refund of payment %s: %d pending at the gateway; what is owed is decided once they settle", c.PaymentID, over.Pending.Amount)
	}
	rest := events.Money{Amount: owed, Currency: c.Refund.Currency}
	// The amount is part of the key: a repeat asks the same again, and a
	// different rest (another refund in between) is a request of its own.
	_, err := s.payments.Refund(ctx, c.PaymentID, fmt.Sprintf("%s:rest:%d", key, owed), clients.RefundRequest{Amount: &rest, Reason: reason})
	var apiErr *clients.APIError
	if errors.As(err, &apiErr) {
		return bus.Permanent(err)
	}
	return err
}

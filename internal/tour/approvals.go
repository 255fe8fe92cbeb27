package tour

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// A tour with homes whose showing mode is confirm waits for their
// providers (approval.go has the rules). Meanwhile the appointment service
// books its realtor from the checkout's hold as for any tour: a booking
// does not lapse, so the realtor stays held however long the answers take,
// and the appointment database still decides alone who is booked when.
// What waits is the tour's news: no tour.scheduled (the customer's
// "booked") until every home is approved.

// approvalRequested is the event that asks t's providers.
func (s *Service) approvalRequested(ctx context.Context, t tour, now time.Time) (bus.Event, error) {
	var reqs []events.ApprovalRequest
	for _, st := range t.Stops {
		if st.Approval == approvalPending {
			reqs = append(reqs, events.ApprovalRequest{ListingID: st.ListingID, ProviderID: st.ProviderID, Title: st.Title,
				Arrive: st.Arrive, Leave: st.Leave})
		}
	}
	return s.event(ctx, events.TypeTourApprovalRequested, t, func(e events.Tour) any {
		return events.TourApprovalRequested{Tour: e, Requests: reqs, Deadline: t.ApprovalDue, RequestedAt: now.UTC()}
	})
}

// Approve records the yes of a home's provider (or an admin, actor) for
// the tour's stop at listingID. The caller has checked who may answer.
func (s *Service) Approve(ctx context.Context, tourID, listingID, actor string) (tour, error) {
	return s.answer(ctx, tourID, func(t *tour, now time.Time) (answer, error) {
		return t.Approve(listingID, now, s.cfg.Rules)
	}, func(t tour, now time.Time) (bus.Event, error) {
		return s.event(ctx, events.TypeTourStopApproved, t, func(e events.Tour) any {
			return events.TourStopApproved{Tour: e, ListingID: listingID, ApprovedBy: actor, ApprovedAt: now.UTC()}
		})
	}, "tour.stop_approved", actor)
}

// Decline takes the home at listingID out of the tour on behalf of its
// provider (or an admin, actor).
func (s *Service) Decline(ctx context.Context, tourID, listingID, actor string) (tour, error) {
	return s.answer(ctx, tourID, func(t *tour, now time.Time) (answer, error) {
		return t.Decline(listingID, now, s.cfg.Rules)
	}, nil, "tour.stop_declined", actor)
}

// answer applies one answer and commits its news with it, and an admin's
// answer (for a home's provider) with its audit entry, action.
func (s *Service) answer(ctx context.Context, tourID string, change func(*tour, time.Time) (answer, error),
	said func(tour, time.Time) (bus.Event, error), action, actor string) (tour, error) {
	now := s.cfg.Clock.Now()
	return s.store.Update(ctx, tourID, "", func(t *tour) ([]bus.Event, error) {
		before := *t
		before.Stops = slices.Clone(t.Stops)
		a, err := change(t, now)
		if err != nil || !a.Changed {
			return nil, err
		}
		var out []bus.Event
		if said != nil {
			ev, err := said(*t, now)
			if err != nil {
				return nil, err
			}
			out = append(out, ev)
		}
		more, err := s.answered(ctx, *t, a, actor, now)
		if err != nil {
			return nil, err
		}
		audited, err := adminAudit(ctx, action, before, *t, now)
		return append(append(out, more...), audited...), err
	})
}

// answered is the news of an answer that changed the tour: the home that
// left (its refund), the cancellation when none is left, and once no home
// waits, the tour's assignment as if it had just been made.
func (s *Service) answered(ctx context.Context, t tour, a answer, actor string, now time.Time) ([]bus.Event, error) {
	var out []bus.Event
	if d := a.Declined; d != nil {
		ev, err := s.event(ctx, events.TypeTourStopDeclined, t, func(e events.Tour) any {
			return events.TourStopDeclined{Tour: e, ListingID: d.ListingID, ProviderID: d.ProviderID, Title: d.Title,
				Reason: d.Reason, DeclinedBy: actor, Refund: a.Refund, DeclinedAt: now.UTC()}
		})
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	var (
		ev  bus.Event
		err error
	)
	switch {
	case a.Cancelled:
		ev, err = s.event(ctx, events.TypeTourCancelled, t, func(e events.Tour) any {
			return events.TourCancelled{Tour: e, Reason: t.CancelReason, CancelledBy: actor, Refund: t.Refund,
				StopsRefunded: t.StopsRefunded, CancelledAt: now.UTC()}
		})
	case !a.Decided:
		return out, nil
	case t.Status == statusScheduled:
		ev, err = s.event(ctx, events.TypeTourScheduled, t, func(e events.Tour) any {
			return events.TourScheduled{Tour: e, At: now.UTC()}
		})
	case t.Status == statusUnassigned:
		ev, err = s.event(ctx, events.TypeTourUnassigned, t, func(e events.Tour) any {
			return events.TourUnassigned{Tour: e, At: now.UTC()}
		})
	default:
		return out, nil // pending: tour.scheduled follows the booking
	}
	if err != nil {
		return nil, err
	}
	return append(out, ev), nil
}

// ExpireApproval declines, for want of an answer, every home of the tour
// still pending past the deadline: the worker's duty (Sweep), once per home
// however often it runs or restarts, since the tour's row records the
// answer with the events.
func (s *Service) ExpireApproval(ctx context.Context, tourID string) error {
	now := s.cfg.Clock.Now()
	_, err := s.store.Update(ctx, tourID, "", func(t *tour) ([]bus.Event, error) {
		var out []bus.Event
		for {
			a, ok, err := t.ExpireApproval(now, s.cfg.Rules)
			if err != nil || !ok {
				return out, err
			}
			more, err := s.answered(ctx, *t, a, "system", now)
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
		}
	})
	return err
}

// onTourStopDeclined refunds a declined home's fee, once: the refund's
// idempotency key names the tour and the home.
func (s *Service) onTourStopDeclined(ctx context.Context, ev bus.Event) error {
	d, err := bus.DataOf[events.TourStopDeclined](ev)
	if err != nil {
		return err
	}
	if d.Refund.Amount <= 0 || d.PaymentID == "" {
		return nil
	}
	amount := d.Refund
	_, err = s.payments.Refund(ctx, d.PaymentID, declineRefundKey(d.TourID, d.ListingID),
		clients.RefundRequest{Amount: &amount, Reason: fmt.Sprintf("home %s declined (%s)", d.ListingID, d.Reason)})
	var over *clients.OverRefund
	if errors.As(err, &over) {
		// Refunded in full already (an admin by hand): nothing is owed.
		s.cfg.Log.InfoContext(ctx, "declined home's fee already refunded", "tour_id", d.TourID, "listing_id", d.ListingID,
			"refunded", over.Refunded.Amount)
		return nil
	}
	var apiErr *clients.APIError
	if errors.As(err, &apiErr) {
		return bus.Permanent(err)
	}
	return err
}

// declineRefundKey is the idempotency key of a declined home's refund.
func declineRefundKey(tourID, listingID string) string {
	return "tour-decline:" + tourID + ":" + listingID
}

// nextWake is how long the worker may sleep: Sweep, or less when an
// approval deadline comes first.
func (s *Service) nextWake(ctx context.Context) time.Duration {
	wait := s.cfg.Sweep
	if next, ok, err := s.store.NextApprovalDue(ctx); err == nil && ok {
		if d := next.Sub(s.cfg.Clock.Now()); d < wait {
			wait = max(d, 0)
		}
	}
	return wait
}

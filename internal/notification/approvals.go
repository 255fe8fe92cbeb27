package notification

import (
	"context"
	"slices"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// onTourApprovalRequested asks each provider whose homes a tour waits for,
// once per request, on every channel they chose for approval requests
// (urgent: quiet hours do not hold it, the deadline is near).
func (s *Service) onTourApprovalRequested(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.TourApprovalRequested](ev)
	if err != nil {
		return err
	}
	homes := map[string][]string{}
	var providers []string
	for _, r := range e.Requests {
		if !slices.Contains(providers, r.ProviderID) {
			providers = append(providers, r.ProviderID)
		}
		title := r.Title
		if title == "" {
			title = r.ListingID
		}
		homes[r.ProviderID] = append(homes[r.ProviderID], title)
	}
	return s.applyTour(ctx, ev, e.Tour, func(ctx context.Context, v view, ch *changes) error {
		for _, p := range providers {
			d := details{Homes: homes[p], Deadline: e.Deadline}
			if err := s.notify(ctx, v, ch, kindApprovalRequest, p, roleProvider, e.Tour, d, ch.At); err != nil {
				return err
			}
		}
		return nil
	})
}

// onTourStopDeclined tells the customer a home left their tour, and what
// of its fee comes back.
func (s *Service) onTourStopDeclined(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.TourStopDeclined](ev)
	if err != nil {
		return err
	}
	title := e.Title
	if title == "" {
		title = e.ListingID
	}
	return s.applyTour(ctx, ev, e.Tour, func(ctx context.Context, v view, ch *changes) error {
		d := details{Homes: []string{title}, Reason: e.Reason, Refund: e.Refund}
		return s.notify(ctx, v, ch, kindTourStopDeclined, e.CustomerID, roleCustomer, e.Tour, d, ch.At)
	})
}

package app

import (
	"context"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/tour"
)

// buildTour wires the tour service: it reads listings to plan routes and
// refunds cancellations through the payment API, as its own identity.
func buildTour(ctx context.Context, e env) (component, error) {
	st, err := tour.NewSQLStore(ctx, e.DB, e.Clock.Now)
	if err != nil {
		return nil, err
	}
	listings := clients.NewListings(e.Peer("listing"), e.HTTP, e.Identity, clients.Options{})
	payments := clients.NewPayments(e.Peer("payment"), e.HTTP, e.Identity, clients.Options{})
	return tour.New(st, listings, payments, tour.Config{Clock: e.Clock, Log: e.Log, Metrics: e.Metrics})
}

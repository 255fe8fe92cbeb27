package app

import (
	"context"
	"time"

	"github.com/openhouse/openhouse/internal/cart"
	"github.com/openhouse/openhouse/internal/clients"
)

// buildCart wires the cart service: it reads listings, asks availability
// for open slots, holds realtors through the appointment service and
// charges payments, all through their HTTP APIs as the cart's own
// identity.
func buildCart(ctx context.Context, e env) (component, error) {
	st, err := cart.NewSQLStore(ctx, e.DB, e.Clock.Now)
	if err != nil {
		return nil, err
	}
	return cart.New(st, cart.Peers{
		Listings: clients.NewListings(e.Peer("listing"), e.HTTP, e.Identity, clients.Options{}),
		Payments: clients.NewPayments(e.Peer("payment"), e.HTTP, e.Identity, clients.Options{Timeout: 15 * time.Second}),
		Holds:    clients.NewHolds(e.Peer("appointment"), e.HTTP, e.Identity, clients.Options{}),
		Slots:    clients.NewAvailability(e.Peer("availability"), e.HTTP, e.Identity, clients.Options{}),
	}, cart.Config{Rules: e.Config.tourRules(), Clock: e.Clock, Log: e.Log})
}

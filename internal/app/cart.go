package app

import (
	"context"
	"time"

	"github.com/openhouse/openhouse/internal/cart"
	"github.com/openhouse/openhouse/internal/clients"
)

// buildCart wires the cart service: it reads listings and charges payments
// through their HTTP APIs, as the cart service's own identity.
func buildCart(ctx context.Context, e env) (component, error) {
	st, err := cart.NewSQLStore(ctx, e.DB, e.Clock.Now)
	if err != nil {
		return nil, err
	}
	listings := clients.NewListings(e.Peer("listing"), e.HTTP, e.Identity, clients.Options{})
	payments := clients.NewPayments(e.Peer("payment"), e.HTTP, e.Identity, clients.Options{Timeout: 15 * time.Second})
	return cart.New(st, listings, payments, cart.Config{Clock: e.Clock, Log: e.Log})
}

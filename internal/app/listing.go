package app

import (
	"context"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/listing"
)

// buildListing wires the listing service; it asks availability for a
// home's open slots, as its own identity.
func buildListing(ctx context.Context, e env) (component, error) {
	st, err := listing.NewSQLStore(ctx, e.DB, e.Clock)
	if err != nil {
		return nil, err
	}
	return listing.New(st, listing.Config{Clock: e.Clock, Log: e.Log, Rules: e.Config.tourRules(),
		Slots: clients.NewAvailability(e.Peer("availability"), e.HTTP, e.Identity, clients.Options{})})
}

package app

import (
	"context"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/listing"
	"github.com/openhouse/openhouse/internal/platform/seal"
)

// buildListing wires the listing service; it asks availability for a
// home's open slots, as its own identity, and seals homes' access with the
// secrets key.
func buildListing(ctx context.Context, e env) (component, error) {
	st, err := listing.NewSQLStore(ctx, e.DB, e.Clock)
	if err != nil {
		return nil, err
	}
	key, err := secretsKey(e.Config)
	if err != nil {
		return nil, err
	}
	if key == nil {
		e.Log.Warn("no OPENHOUSE_SECRETS_KEY and no data directory: homes' access saved now cannot be read after a restart")
	}
	box, err := seal.New(key)
	if err != nil {
		return nil, err
	}
	return listing.New(st, listing.Config{Clock: e.Clock, Log: e.Log, Rules: e.Config.tourRules(), Sealer: box,
		Slots:    clients.NewAvailability(e.Peer("availability"), e.HTTP, e.Identity, clients.Options{}),
		Showings: clients.NewHolds(e.Peer("appointment"), e.HTTP, e.Identity, clients.Options{})})
}

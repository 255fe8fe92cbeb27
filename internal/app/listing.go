package app

import (
	"context"

	"github.com/openhouse/openhouse/internal/listing"
)

// buildListing wires the listing service.
func buildListing(ctx context.Context, e env) (component, error) {
	st, err := listing.NewSQLStore(ctx, e.DB, e.Clock)
	if err != nil {
		return nil, err
	}
	return listing.New(st, listing.Config{Clock: e.Clock, Log: e.Log})
}

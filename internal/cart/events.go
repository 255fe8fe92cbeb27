package cart

import (
	"context"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// listingSubscriptions keep carts true to the listings: a changed listing
// refreshes every cart's snapshot of it, a deleted one leaves every cart.
func (s *Service) listingSubscriptions() []bus.Subscription {
	return []bus.Subscription{{
		Consumer: "cart",
		Stream:   "listing",
		Handlers: map[string]bus.Handler{
			events.TypeListingUpdated: s.onListingUpdated,
			events.TypeListingDeleted: s.onListingDeleted,
		},
	}}
}

func (s *Service) onListingUpdated(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.ListingUpdated](ev)
	if err != nil {
		return err
	}
	if e.Listing.Status != "" && e.Listing.Status != "active" {
		return s.store.DropListing(ctx, ev.ID(), e.Listing.ID)
	}
	l := clients.Listing{ID: e.Listing.ID, ProviderID: e.Listing.ProviderID, Title: e.Listing.Title, Address: e.Listing.Address,
		TourFee: e.Listing.TourFee, Location: e.Listing.Location, TimeZone: e.Listing.TimeZone, Showing: e.Listing.Showing}
	return s.store.RefreshListing(ctx, ev.ID(), itemOf(l, s.cfg.Clock.Now()))
}

func (s *Service) onListingDeleted(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.ListingDeleted](ev)
	if err != nil {
		return err
	}
	return s.store.DropListing(ctx, ev.ID(), e.ListingID)
}

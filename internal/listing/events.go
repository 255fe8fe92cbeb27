package listing

import (
	"context"
	"errors"
	"fmt"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// This file is what listing publishes and what it consumes.

// snapshot is l as events carry it.
func snapshot(l listing) events.Listing {
	return events.Listing{
		ID: l.ID, ProviderID: l.ProviderID, Title: l.Title, Description: l.Description,
		Address: events.ListingAddress{
			Line1: l.Address.Line1, City: l.Address.City, Region: l.Address.Region,
			PostalCode: l.Address.PostalCode, Country: l.Address.Country,
		},
		Location: events.GeoPoint{Lat: l.Location.Lat, Lng: l.Location.Lng},
		Price:    l.Price, Bedrooms: l.Bedrooms, Bathrooms: l.Bathrooms, TourFee: l.TourFee,
		TimeZone: l.TimeZone, Showing: l.Showing, Status: string(l.Status), CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt,
	}
}

func createdEvent(ctx context.Context, l listing) (bus.Event, error) {
	return bus.NewEvent(ctx, events.TypeListingCreated, l.ID, events.ListingCreated{Listing: snapshot(l)}, l.UpdatedAt)
}

func updatedEvent(ctx context.Context, l listing, mode string, changed []string) (bus.Event, error) {
	return bus.NewEvent(ctx, events.TypeListingUpdated, l.ID,
		events.ListingUpdated{Mode: mode, Changed: changed, Listing: snapshot(l)}, l.UpdatedAt)
}

func deletedEvent(ctx context.Context, l listing) (bus.Event, error) {
	return bus.NewEvent(ctx, events.TypeListingDeleted, l.ID,
		events.ListingDeleted{ListingID: l.ID, ProviderID: l.ProviderID, DeletedAt: l.UpdatedAt}, l.UpdatedAt)
}

// consumer is listing's durable consumer name on every stream it reads. It
// is API: renaming it replays the streams from the start.
const consumer = "listing"

// Subscriptions lists the events listing consumes: iam's account events,
// from which it keeps each provider's standing, and the tour service's,
// from which it keeps the homes' activity (activity_events.go).
func (s *Service) Subscriptions() []bus.Subscription {
	return []bus.Subscription{{
		Consumer: consumer,
		Stream:   "iam",
		Handlers: map[string]bus.Handler{
			events.TypeUserRegistered:    s.onUserRegistered,
			events.TypeUserVerified:      s.onUserVerified,
			events.TypeUserStatusChanged: s.onUserStatusChanged,
		},
	}, s.activitySubscription()}
}

// roleProvider is iam's name for the role whose accounts list homes; events
// about other accounts are acknowledged and ignored.
const roleProvider = "provider"

func (s *Service) onUserRegistered(ctx context.Context, ev bus.Event) error {
	var e events.UserRegistered
	if err := ev.DataAs(&e); err != nil {
		return malformed(ev, err)
	}
	if e.Role != roleProvider {
		return nil
	}
	return s.updateProvider(ctx, ev, e.UserID, func(p *provider) error {
		return p.Registered(e.Verified, providerStatus(e.Status), e.RegisteredAt)
	})
}

func (s *Service) onUserVerified(ctx context.Context, ev bus.Event) error {
	var e events.UserVerified
	if err := ev.DataAs(&e); err != nil {
		return malformed(ev, err)
	}
	if e.Role != roleProvider {
		return nil
	}
	return s.updateProvider(ctx, ev, e.UserID, func(p *provider) error {
		p.SetVerified(e.Verified, e.At)
		return nil
	})
}

func (s *Service) onUserStatusChanged(ctx context.Context, ev bus.Event) error {
	var e events.UserStatusChanged
	if err := ev.DataAs(&e); err != nil {
		return malformed(ev, err)
	}
	if e.Role != roleProvider {
		return nil
	}
	return s.updateProvider(ctx, ev, e.UserID, func(p *provider) error {
		return p.SetStatus(providerStatus(e.Status), e.At)
	})
}

// updateProvider applies one event to a provider and logs what it now is.
// A payload no retry can fix (no user id, an unknown status) is a permanent
// error: the event goes to the dead letters for an operator.
func (s *Service) updateProvider(ctx context.Context, ev bus.Event, id string, apply func(*provider) error) error {
	if id == "" {
		return malformed(ev, errors.New("no user_id"))
	}
	var after provider
	var invalid error
	err := s.store.UpdateProvider(ctx, ev, id, func(p *provider) error {
		if err := apply(p); err != nil {
			invalid = err
			return err
		}
		after = *p
		return nil
	})
	if invalid != nil {
		return malformed(ev, invalid)
	}
	if err != nil {
		return err
	}
	if after.ID != "" { // empty when the event had been applied before
		s.cfg.Log.InfoContext(ctx, "provider updated", "provider_id", id, "event_id", ev.ID(),
			"type", ev.Type(), "verified", after.Verified, "active", after.Active())
	}
	return nil
}

func malformed(ev bus.Event, err error) error {
	return bus.Permanent(fmt.Errorf("malformed %s event %s: %w", ev.Type(), ev.ID(), err))
}

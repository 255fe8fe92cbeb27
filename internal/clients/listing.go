package clients

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/openhouse/openhouse/internal/events"
)

// Listing is a listing as GET /listings/{id} shows it.
type Listing struct {
	ID         string                `json:"id"`
	ProviderID string                `json:"provider_id"`
	Status     string                `json:"status"`
	Title      string                `json:"title"`
	Location   events.GeoPoint       `json:"location"`
	Price      events.Money          `json:"price"`
	TourFee    events.Money          `json:"tour_fee"`
	TimeZone   string                `json:"time_zone"`
	Address    events.ListingAddress `json:"address"`
	Showing    events.Showing        `json:"showing"`
	CreatedAt  time.Time             `json:"created_at"`
}

// Listings reads the listing service.
type Listings struct{ c *caller }

// NewListings returns a client of the listing service at base.
func NewListings(base string, hc *http.Client, tokens TokenSource, opts Options) *Listings {
	return &Listings{c: newCaller("listing", base, hc, tokens, opts)}
}

// Get returns a listing; ErrNotFound if it does not exist or is hidden
// (deleted, or its provider suspended).
func (l *Listings) Get(ctx context.Context, id string) (Listing, error) {
	resp, err := l.c.call(ctx, http.MethodGet, "/listings/"+url.PathEscape(id), nil, nil, true)
	if err != nil {
		return Listing{}, err
	}
	var out Listing
	return out, decode(resp, http.StatusOK, &out)
}

// BreakerOpen reports whether calls are failed fast.
func (l *Listings) BreakerOpen() bool { return l.c.BreakerOpen() }

// ListingAccess is a home's access instructions, as GET
// /listings/{id}/access answers the tour service.
type ListingAccess struct {
	Instructions string `json:"instructions"`
	Code         string `json:"code"`
}

// Access reads a home's access instructions (the tour service's identity
// only); ErrNotFound when the listing is not visible or has none set. The
// answer is a secret: never log it.
func (l *Listings) Access(ctx context.Context, id string) (ListingAccess, error) {
	resp, err := l.c.call(ctx, http.MethodGet, "/listings/"+url.PathEscape(id)+"/access", nil, nil, true)
	if err != nil {
		return ListingAccess{}, err
	}
	var out ListingAccess
	return out, decode(resp, http.StatusOK, &out)
}

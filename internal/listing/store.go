package listing

import (
	"context"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

// Store keeps listings and listing's view of providers. Every write takes
// the events that announce it and stores them atomically with the change
// (the SQL store puts them in its outbox). Implementations are safe for
// concurrent use; errors other than the ones documented are the store's own
// failures (retry, or answer 500).
//
// Writes that depend on a provider's standing lock the provider first, then
// the listing, and the provider event handlers lock in the same order. So a
// suspension committed while a provider writes either comes first (the write
// is refused) or second (it hides the new listing too); it never misses one.
type Store interface {
	// CreateListing inserts l. Inside the transaction it locks the provider
	// l.ProviderID, passes it to check (which sees the zero provider with
	// that ID if listing has never heard of it), and goes on only if check
	// returns nil, returning check's error otherwise.
	CreateListing(ctx context.Context, l listing, check func(provider) error, events ...bus.Event) error

	// UpdateListing locks the provider providerID (the caller) and the
	// listing id, calls update with both, and writes back l's details,
	// status and updated_at together with the events update returns, all in
	// one transaction. If update returns an error nothing is written and the
	// error is returned. A listing that does not exist is errNotFound
	// without calling update.
	UpdateListing(ctx context.Context, providerID, id string, update func(p provider, l *listing) ([]bus.Event, error)) error

	// VisibleListing returns listing id if it is Visible, or errNotFound.
	VisibleListing(ctx context.Context, id string) (listing, error)

	// Search returns at most q.Limit visible listings matching q, in q's
	// order, after q.After. The query is assumed valid (the HTTP layer
	// checks it).
	Search(ctx context.Context, q query) ([]hit, error)

	// UpdateProvider applies ev to provider id once: it records ev's id in
	// the inbox and, if it was not there, locks the provider (the zero
	// provider with that ID if new), calls update, saves the result and
	// sets every listing of the provider visible or hidden to match
	// Active(), in one transaction. A redelivered ev changes nothing and
	// update is not called.
	UpdateProvider(ctx context.Context, ev bus.Event, id string, update func(p *provider) error) error

	// Provider returns listing's view of provider id: the zero provider
	// with that ID if listing has never heard of it.
	Provider(ctx context.Context, id string) (provider, error)

	// PutAccess locks the provider and the listing id, calls check with
	// both, and sets the listing's sealed access (nil removes it). A
	// listing that does not exist is errNotFound.
	PutAccess(ctx context.Context, providerID, id string, sealed []byte, at time.Time, check func(provider, listing) error) error

	// Access returns listing id's sealed access, or errNoAccess.
	Access(ctx context.Context, id string) ([]byte, error)

	// AccessSet reports which of ids have access set.
	AccessSet(ctx context.Context, ids []string) (map[string]bool, error)

	// SaveShowings keeps each showing unless one of a newer or the same
	// tour version is kept already (activity.go).
	SaveShowings(ctx context.Context, showings []showing) error
	// SaveOpinion keeps o unless a newer (At) opinion of its author on
	// the home in the tour is kept already.
	SaveOpinion(ctx context.Context, o opinion) error
	// Showings and Opinions return a home's activity.
	Showings(ctx context.Context, listingID string) ([]showing, error)
	Opinions(ctx context.Context, listingID string) ([]opinion, error)
	// ListingOwner returns the provider and time zone of listing id,
	// visible or not, or errNotFound when there is none (or it was
	// deleted).
	ListingOwner(ctx context.Context, id string) (provider, timeZone string, err error)
}

package listing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/seal"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// Config tunes the listing service.
type Config struct {
	Clock clock.Clock // default clock.Real
	Log   *slog.Logger
	// ReaderServices are the service identities allowed to read listings
	// (cart snapshots titles and fees). Default defaultReaderServices.
	ReaderServices []string
	// Slots finds a home's open slots (GET /listings/{id}/slots); nil
	// serves none.
	Slots SlotFinder
	// Showings counts the home's showings per day, so its slots leave out
	// the days it has its most (clients.Holds); nil counts none.
	Showings ShowingCounter
	// Rules are the tour's time rules (tourplan.Default if zero).
	Rules tourplan.Rules
	// Sealer seals homes' access at rest (access.go); nil means a random
	// key, so what is set cannot be read after a restart.
	Sealer Sealer
}

// defaultReaderServices are the services that read listings over HTTP.
var defaultReaderServices = []string{"cart", "tour", "appointment", "notification"}

// Service is the listing application: it runs the domain's rules against
// the store and announces what changed.
type Service struct {
	store Store
	cfg   Config
}

// New builds the service.
func New(st Store, cfg Config) (*Service, error) {
	if st == nil {
		return nil, errors.New("listing: nil store")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.ReaderServices == nil {
		cfg.ReaderServices = defaultReaderServices
	}
	if cfg.Sealer == nil {
		box, err := seal.New(nil)
		if err != nil {
			return nil, err
		}
		cfg.Sealer = box
	}
	if cfg.Rules == (tourplan.Rules{}) {
		cfg.Rules = tourplan.Default
	}
	if err := cfg.Rules.Validate(); err != nil {
		return nil, fmt.Errorf("listing: %w", err)
	}
	return &Service{store: st, cfg: cfg}, nil
}

// newID returns a UUIDv7: time-ordered, so new rows land at the end of the
// primary-key index instead of all over it.
func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

// Create puts a new listing of provider providerID on the market. The
// provider must be verified and active (errNotAllowed); invalid details are
// a validationError.
func (s *Service) Create(ctx context.Context, providerID string, d details) (listing, error) {
	d = d.Normalized()
	if err := d.Validate(); err != nil {
		return listing{}, err
	}
	id, err := newID()
	if err != nil {
		return listing{}, err
	}
	l := newListing(id, providerID, d, s.cfg.Clock.Now())
	ev, err := createdEvent(ctx, l)
	if err != nil {
		return listing{}, err
	}
	err = s.store.CreateListing(ctx, l, func(p provider) error { return checkWrite(p, nil) }, ev)
	if err != nil {
		return listing{}, err
	}
	s.cfg.Log.InfoContext(ctx, "listing created", "listing_id", l.ID, "provider_id", providerID)
	return l, nil
}

// Get returns a visible listing, or errNotFound.
func (s *Service) Get(ctx context.Context, id string) (listing, error) {
	return s.store.VisibleListing(ctx, id)
}

// Replace sets every detail of the provider's own listing id (PUT);
// keepShowing keeps its showing rules (the request left them out).
func (s *Service) Replace(ctx context.Context, providerID, id string, d details, keepShowing bool) (listing, error) {
	d = d.Normalized()
	if err := d.Validate(); err != nil {
		return listing{}, err
	}
	return s.update(ctx, providerID, id, events.UpdateReplace, func(l *listing) ([]string, error) {
		if keepShowing {
			d.Showing = l.Showing
		}
		return l.Replace(d, s.cfg.Clock.Now()), nil
	})
}

// Patch changes some details of the provider's own listing id (PATCH).
func (s *Service) Patch(ctx context.Context, providerID, id string, p patch) (listing, error) {
	return s.update(ctx, providerID, id, events.UpdatePatch, func(l *listing) ([]string, error) {
		return l.ApplyPatch(p, s.cfg.Clock.Now())
	})
}

// update runs change on the provider's own listing under the store's locks
// and announces it when something changed. A change to nothing writes no
// event and leaves updated_at alone, so a retried PUT is harmless.
func (s *Service) update(ctx context.Context, providerID, id, mode string, change func(*listing) ([]string, error)) (listing, error) {
	var (
		out     listing
		changed []string
	)
	err := s.store.UpdateListing(ctx, providerID, id, func(p provider, l *listing) ([]bus.Event, error) {
		if err := checkWrite(p, l); err != nil {
			return nil, err
		}
		var err error
		if changed, err = change(l); err != nil {
			return nil, err
		}
		out = *l
		if len(changed) == 0 {
			return nil, nil
		}
		ev, err := updatedEvent(ctx, *l, mode, changed)
		if err != nil {
			return nil, err
		}
		return []bus.Event{ev}, nil
	})
	if err != nil {
		return listing{}, err
	}
	if len(changed) > 0 {
		s.cfg.Log.InfoContext(ctx, "listing updated", "listing_id", id, "provider_id", providerID,
			"mode", mode, "changed", changed)
	}
	return out, nil
}

// Delete takes the provider's own listing id off the market.
func (s *Service) Delete(ctx context.Context, providerID, id string) error {
	err := s.store.UpdateListing(ctx, providerID, id, func(p provider, l *listing) ([]bus.Event, error) {
		if err := checkWrite(p, l); err != nil {
			return nil, err
		}
		l.Delete(s.cfg.Clock.Now())
		ev, err := deletedEvent(ctx, *l)
		if err != nil {
			return nil, err
		}
		return []bus.Event{ev}, nil
	})
	if err != nil {
		return err
	}
	s.cfg.Log.InfoContext(ctx, "listing deleted", "listing_id", id, "provider_id", providerID)
	return nil
}

// searchPage is one page of search results; Next is nil on the last page.
type searchPage struct {
	Hits []hit
	Next *cursor
}

// Search runs q, which the caller has checked (radius, limit, cursor).
func (s *Service) Search(ctx context.Context, q query) (searchPage, error) {
	if q.Limit <= 0 {
		return searchPage{}, fmt.Errorf("listing search: limit %d", q.Limit)
	}
	want := q.Limit
	q.Limit++ // one more tells whether another page follows
	hits, err := s.store.Search(ctx, q)
	if err != nil {
		return searchPage{}, err
	}
	page := searchPage{Hits: hits}
	if len(hits) > want {
		page.Hits = hits[:want]
		next := q.CursorAfter(page.Hits[want-1])
		page.Next = &next
	}
	return page, nil
}

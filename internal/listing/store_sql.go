package listing

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// SQLStore is the Store on SQLite or PostgreSQL, with the same SQL text on
// both.
type SQLStore struct {
	db    *store.DB
	clock clock.Clock
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore migrates db (the listing tables, and the outbox and inbox it
// writes to) and returns a store on it. clk stamps inbox rows; nil means
// the wall clock.
func NewSQLStore(ctx context.Context, db *store.DB, clk clock.Clock) (*SQLStore, error) {
	if clk == nil {
		clk = clock.Real{}
	}
	if err := outbox.Migrate(ctx, db); err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, "listing", migrationFiles, "migrations"); err != nil {
		return nil, err
	}
	return &SQLStore{db: db, clock: clk}, nil
}

// visibleSQL is the predicate of the partial indexes, repeated word for word
// so that both planners use them.
const visibleSQL = `status = 'active' AND provider_active`

const listingColumns = `id, provider_id, title, description, line1, city, region, postal_code, country,
	lat, lng, price_amount, price_currency, bedrooms, bathrooms, tour_fee_amount, tour_fee_currency,
	time_zone, status, provider_active, created_at, updated_at, showing`

// CreateListing implements Store.
func (s *SQLStore) CreateListing(ctx context.Context, l listing, check func(provider) error, events ...bus.Event) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		p, err := s.lockProvider(ctx, tx, l.ProviderID)
		if err != nil {
			return err
		}
		if err := check(p); err != nil {
			return err
		}
		l.ProviderActive = p.Active()
		if err := insertListings(ctx, tx, []listing{l}); err != nil {
			return err
		}
		return outbox.AddAll(ctx, tx, events)
	})
	if err != nil {
		return fmt.Errorf("create listing %s: %w", l.ID, err)
	}
	return nil
}

// insertListings writes ls with one statement.
func insertListings(ctx context.Context, tx *sql.Tx, ls []listing) error {
	_, err := tx.ExecContext(ctx, insertSQL(len(ls)), insertArgs(ls)...)
	return err
}

// insertColumns are the columns of a listing row: listingColumns and the
// search keys derived from them.
const insertColumns = 25

// insertSQL is an INSERT of n listings. Parameters stay under PostgreSQL's
// 65535 per statement as long as n <= 2000.
func insertSQL(n int) string {
	b := []byte("INSERT INTO listings (" + listingColumns + ", city_key, search_text) VALUES ")
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '(')
		for j := range insertColumns {
			if j > 0 {
				b = append(b, ", "...)
			}
			b = fmt.Appendf(b, "$%d", i*insertColumns+j+1)
		}
		b = append(b, ')')
	}
	return string(b)
}

// insertArgs are the parameters of insertSQL(len(ls)).
func insertArgs(ls []listing) []any {
	args := make([]any, 0, insertColumns*len(ls))
	for _, l := range ls {
		args = append(args, l.ID, l.ProviderID, l.Title, l.Description,
			l.Address.Line1, l.Address.City, l.Address.Region, l.Address.PostalCode, l.Address.Country,
			l.Location.Lat, l.Location.Lng, l.Price.Amount, l.Price.Currency, l.Bedrooms, l.Bathrooms,
			l.TourFee.Amount, l.TourFee.Currency, l.TimeZone, string(l.Status), l.ProviderActive,
			l.CreatedAt.UTC(), l.UpdatedAt.UTC(), showingColumn(l.Showing), cityKey(l.Address.City), searchText(l.details))
	}
	return args
}

// UpdateListing implements Store.
func (s *SQLStore) UpdateListing(ctx context.Context, providerID, id string, update func(p provider, l *listing) ([]bus.Event, error)) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		p, err := s.lockProvider(ctx, tx, providerID)
		if err != nil {
			return err
		}
		l, err := scanListing(tx.QueryRowContext(ctx,
			`SELECT `+listingColumns+` FROM listings WHERE id = $1 `+s.db.Dialect.ForUpdate, id))
		if err != nil {
			return err
		}
		events, err := update(p, &l)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE listings SET
			title = $2, description = $3, line1 = $4, city = $5, region = $6, postal_code = $7, country = $8,
			lat = $9, lng = $10, price_amount = $11, price_currency = $12, bedrooms = $13, bathrooms = $14,
			tour_fee_amount = $15, tour_fee_currency = $16, time_zone = $17, status = $18, updated_at = $19,
			city_key = $20, search_text = $21, showing = $22
			WHERE id = $1`,
			id, l.Title, l.Description, l.Address.Line1, l.Address.City, l.Address.Region, l.Address.PostalCode,
			l.Address.Country, l.Location.Lat, l.Location.Lng, l.Price.Amount, l.Price.Currency, l.Bedrooms,
			l.Bathrooms, l.TourFee.Amount, l.TourFee.Currency, l.TimeZone, string(l.Status), l.UpdatedAt.UTC(),
			cityKey(l.Address.City), searchText(l.details), showingColumn(l.Showing))
		if err != nil {
			return err
		}
		return outbox.AddAll(ctx, tx, events)
	})
	if err != nil {
		return fmt.Errorf("update listing %s: %w", id, err)
	}
	return nil
}

// VisibleListing implements Store.
func (s *SQLStore) VisibleListing(ctx context.Context, id string) (listing, error) {
	l, err := scanListing(s.db.QueryRowContext(ctx,
		`SELECT `+listingColumns+` FROM listings WHERE id = $1 AND `+visibleSQL, id))
	if err != nil {
		return listing{}, fmt.Errorf("read listing %s: %w", id, err)
	}
	return l, nil
}

// inboxHandler names the provider handlers in the inbox. It is stored with
// every processed event id: never rename it, or every event is applied again
// (harmless, since the updates are last-writer-wins, but wasteful).
const inboxHandler = "listing.providers"

// UpdateProvider implements Store.
func (s *SQLStore) UpdateProvider(ctx context.Context, ev bus.Event, id string, update func(p *provider) error) error {
	apply := outbox.Inbox(s.db, inboxHandler, s.clock.Now, func(ctx context.Context, tx *sql.Tx, _ bus.Event) error {
		// Make sure the row exists, so two first events for one provider
		// on two instances queue on its lock instead of racing to insert.
		if _, err := tx.ExecContext(ctx, `INSERT INTO providers (id, verified, verified_at, status, status_at)
			VALUES ($1, $2, $3, '', $3) ON CONFLICT (id) DO NOTHING`, id, false, time.Time{}.UTC()); err != nil {
			return err
		}
		p, err := s.lockProvider(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := update(&p); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE providers SET verified = $2, verified_at = $3, status = $4, status_at = $5 WHERE id = $1`,
			id, p.Verified, p.VerifiedAt.UTC(), string(p.Status), p.StatusAt.UTC()); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE listings SET provider_active = $2 WHERE provider_id = $1 AND provider_active <> $2`,
			id, p.Active())
		return err
	})
	if err := apply(ctx, ev); err != nil {
		return fmt.Errorf("update provider %s from event %s: %w", id, ev.ID(), err)
	}
	return nil
}

// Provider implements Store.
func (s *SQLStore) Provider(ctx context.Context, id string) (provider, error) {
	p, err := scanProvider(id, s.db.QueryRowContext(ctx, providerSelect, id))
	if err != nil {
		return provider{}, fmt.Errorf("read provider %s: %w", id, err)
	}
	return p, nil
}

const providerSelect = `SELECT verified, verified_at, status, status_at FROM providers WHERE id = $1`

// lockProvider reads provider id and, on PostgreSQL, locks its row until
// the transaction ends (SQLite transactions here already hold the write
// lock).
func (s *SQLStore) lockProvider(ctx context.Context, tx *sql.Tx, id string) (provider, error) {
	return scanProvider(id, tx.QueryRowContext(ctx, providerSelect+` `+s.db.Dialect.ForUpdate, id))
}

func scanProvider(id string, row *sql.Row) (provider, error) {
	p := provider{ID: id}
	var status string
	err := row.Scan(&p.Verified, &p.VerifiedAt, &status, &p.StatusAt)
	if errors.Is(err, sql.ErrNoRows) {
		return provider{ID: id}, nil
	}
	if err != nil {
		return provider{}, err
	}
	p.Status = providerStatus(status)
	p.VerifiedAt, p.StatusAt = p.VerifiedAt.UTC(), p.StatusAt.UTC()
	return p, nil
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// scanListing reads the listingColumns of one row; no row is errNotFound.
func scanListing(row rowScanner) (listing, error) {
	var l listing
	var status, showing string
	err := row.Scan(&l.ID, &l.ProviderID, &l.Title, &l.Description,
		&l.Address.Line1, &l.Address.City, &l.Address.Region, &l.Address.PostalCode, &l.Address.Country,
		&l.Location.Lat, &l.Location.Lng, &l.Price.Amount, &l.Price.Currency, &l.Bedrooms, &l.Bathrooms,
		&l.TourFee.Amount, &l.TourFee.Currency, &l.TimeZone, &status, &l.ProviderActive, &l.CreatedAt, &l.UpdatedAt, &showing)
	if errors.Is(err, sql.ErrNoRows) {
		return listing{}, errNotFound
	}
	if err != nil {
		return listing{}, err
	}
	l.Status = listingStatus(status)
	l.CreatedAt, l.UpdatedAt = l.CreatedAt.UTC(), l.UpdatedAt.UTC()
	if showing != "" {
		if err := json.Unmarshal([]byte(showing), &l.Showing); err != nil {
			return listing{}, fmt.Errorf("listing %s: showing rules: %w", l.ID, err)
		}
	}
	l.Showing = normalizedShowing(l.Showing)
	return l, nil
}

// showingColumn is s as the showing column stores it: JSON, or ” for the
// default rules.
func showingColumn(s events.Showing) string {
	if showingEqual(normalizedShowing(s), normalizedShowing(events.Showing{})) {
		return ""
	}
	raw, _ := json.Marshal(s) // plain data: cannot fail
	return string(raw)
}

package cart

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/idempotency"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// SQLStore is the Store on SQLite or PostgreSQL.
type SQLStore struct {
	db   *store.DB
	now  func() time.Time
	keys idempotency.Table
}

// NewSQLStore migrates db (the shared idempotency_keys table first: a cart
// migration moves checkouts' keys into it) and returns a store on it.
func NewSQLStore(ctx context.Context, db *store.DB, now func() time.Time) (*SQLStore, error) {
	if err := idempotency.Migrate(ctx, db); err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, "cart", migrationFiles, "migrations"); err != nil {
		return nil, err
	}
	return &SQLStore{db: db, now: now, keys: idempotency.NewTable(db)}, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

const itemColumns = `customer_id, listing_id, title, fee_amount, fee_currency, lat, lng, time_zone, added_at, provider_id, address, showing`

func (s *SQLStore) items(ctx context.Context, q queryer, where string, args ...any) (map[string][]Item, []string, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+itemColumns+` FROM cart_items `+where+` ORDER BY customer_id, added_at, listing_id`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("read cart: %w", err)
	}
	defer rows.Close()
	out := map[string][]Item{}
	var order []string
	for rows.Next() {
		var (
			customer string
			it       Item
			address  string
			showing  string
		)
		if err := rows.Scan(&customer, &it.ListingID, &it.Title, &it.TourFee.Amount, &it.TourFee.Currency,
			&it.Location.Lat, &it.Location.Lng, &it.TimeZone, &it.AddedAt, &it.ProviderID, &address, &showing); err != nil {
			return nil, nil, fmt.Errorf("read cart: %w", err)
		}
		if err := json.Unmarshal([]byte(showing), &it.Showing); err != nil {
			return nil, nil, fmt.Errorf("read cart: showing: %w", err)
		}
		if err := json.Unmarshal([]byte(address), &it.Address); err != nil {
			return nil, nil, fmt.Errorf("read cart: address: %w", err)
		}
		it.AddedAt = it.AddedAt.UTC()
		if _, seen := out[customer]; !seen {
			order = append(order, customer)
		}
		out[customer] = append(out[customer], it)
	}
	return out, order, rows.Err()
}

func (s *SQLStore) cart(ctx context.Context, q queryer, customerID string) (Cart, error) {
	items, _, err := s.items(ctx, q, `WHERE customer_id = $1`, customerID)
	if err != nil {
		return Cart{}, err
	}
	c := Cart{CustomerID: customerID, Items: items[customerID]}
	for _, it := range c.Items {
		if it.AddedAt.After(c.UpdatedAt) {
			c.UpdatedAt = it.AddedAt
		}
	}
	return c, nil
}

// Cart implements Store.
func (s *SQLStore) Cart(ctx context.Context, customerID string) (Cart, error) {
	return s.cart(ctx, s.db, customerID)
}

// AddItem implements Store. The customer's cart is locked first, so two
// concurrent adds see each other.
func (s *SQLStore) AddItem(ctx context.Context, customerID string, it Item, check func(Cart) error) (Cart, error) {
	var out Cart
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.db.LockKey(ctx, tx, "cart:"+customerID); err != nil {
			return err
		}
		c, err := s.cart(ctx, tx, customerID)
		if err != nil {
			return err
		}
		if err := check(c); err != nil {
			return err
		}
		address, err := json.Marshal(it.Address)
		if err != nil {
			return err
		}
		showing, err := json.Marshal(it.Showing)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO cart_items (`+itemColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (customer_id, listing_id) DO NOTHING`,
			customerID, it.ListingID, it.Title, it.TourFee.Amount, it.TourFee.Currency, it.Location.Lat, it.Location.Lng, it.TimeZone, it.AddedAt.UTC(),
			it.ProviderID, string(address), string(showing))
		if err != nil {
			return fmt.Errorf("add to cart: %w", err)
		}
		out, err = s.cart(ctx, tx, customerID)
		return err
	})
	return out, err
}

// RemoveItem implements Store.
func (s *SQLStore) RemoveItem(ctx context.Context, customerID, listingID string) (Cart, error) {
	var out Cart
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM cart_items WHERE customer_id = $1 AND listing_id = $2`, customerID, listingID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotInCart
		}
		out, err = s.cart(ctx, tx, customerID)
		return err
	})
	return out, err
}

// Carts implements Store.
func (s *SQLStore) Carts(ctx context.Context, afterCustomer string, limit int) ([]Cart, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT customer_id FROM cart_items WHERE customer_id > $1 ORDER BY customer_id LIMIT $2`, afterCustomer, limit)
	if err != nil {
		return nil, fmt.Errorf("list carts: %w", err)
	}
	var customers []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, err
		}
		customers = append(customers, c)
	}
	rows.Close()
	out := make([]Cart, 0, len(customers))
	for _, c := range customers {
		cart, err := s.Cart(ctx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, cart)
	}
	return out, nil
}

// RefreshListing implements Store.
func (s *SQLStore) RefreshListing(ctx context.Context, eventID string, it Item) error {
	address, err := json.Marshal(it.Address)
	if err != nil {
		return err
	}
	showing, err := json.Marshal(it.Showing)
	if err != nil {
		return err
	}
	return outbox.Once(ctx, s.db, "cart.listing", eventID, s.now, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE cart_items SET title = $1, fee_amount = $2, fee_currency = $3, lat = $4, lng = $5, time_zone = $6,
			provider_id = $7, address = $8, showing = $9 WHERE listing_id = $10`,
			it.Title, it.TourFee.Amount, it.TourFee.Currency, it.Location.Lat, it.Location.Lng, it.TimeZone, it.ProviderID, string(address),
			string(showing), it.ListingID)
		return err
	})
}

// DropListing implements Store.
func (s *SQLStore) DropListing(ctx context.Context, eventID, listingID string) error {
	return outbox.Once(ctx, s.db, "cart.listing", eventID, s.now, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM cart_items WHERE listing_id = $1`, listingID)
		return err
	})
}

const checkoutColumns = `customer_id, idem_key, order_id, items, state, created_at, request, ordered_at`

func scanCheckout(row store.Scanner) (Checkout, error) {
	var (
		c            Checkout
		items, state string
		request      string
		ordered      store.Time
	)
	err := row.Scan(&c.CustomerID, &c.Key, &c.OrderID, &items, &state, &c.CreatedAt, &request, &ordered)
	if err != nil {
		return Checkout{}, err
	}
	c.Ordered = ordered.Valid
	c.CreatedAt = c.CreatedAt.UTC()
	if request != "" {
		if err := json.Unmarshal([]byte(request), &c.Request); err != nil {
			return Checkout{}, fmt.Errorf("read checkout request: %w", err)
		}
	}
	return c, json.Unmarshal([]byte(items), &c.Items)
}

// withRecord is c with what its key's record says.
func withRecord(c Checkout, r idempotency.Record) Checkout {
	c.RequestHash, c.Answer, c.LeaseUntil = r.RequestHash, r.Answer, r.LeaseUntil
	return c
}

// checkout reads the checkout of (customer, key) and its record, locked.
func (s *SQLStore) checkout(ctx context.Context, tx *sql.Tx, customerID, key string) (Checkout, idempotency.Record, error) {
	rec, err := s.keys.Get(ctx, tx, keyScope(customerID), key)
	if err != nil {
		return Checkout{}, idempotency.Record{}, err
	}
	c, err := scanCheckout(tx.QueryRowContext(ctx, `SELECT `+checkoutColumns+` FROM checkouts WHERE customer_id = $1 AND idem_key = $2`, customerID, key))
	if err != nil {
		return Checkout{}, idempotency.Record{}, fmt.Errorf("read checkout of key %q: %w", key, err)
	}
	return withRecord(c, rec), rec, nil
}

// ClaimCheckout implements Store.
func (s *SQLStore) ClaimCheckout(ctx context.Context, customerID, key, hash string, now, leaseUntil time.Time, start func(Cart) (Checkout, error)) (Checkout, bool, error) {
	var (
		out     Checkout
		claimed bool
	)
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		out, claimed = Checkout{}, false
		// Serialise checkouts of one customer, so two first requests
		// cannot both start.
		if err := s.db.LockKey(ctx, tx, "checkout:"+customerID); err != nil {
			return err
		}
		c, rec, err := s.checkout(ctx, tx, customerID, key)
		switch {
		case err == nil:
			v, err := rec.Decide(hash, now)
			if err != nil {
				return err
			}
			out = withRecord(c, rec)
			if v != idempotency.Resume {
				return nil
			}
		case errors.Is(err, store.ErrNotFound):
			// A new key: the customer's unfinished checkout, if any, is
			// the one this request is about (a cart checks out once).
			var other string
			err := tx.QueryRowContext(ctx, `SELECT c.idem_key FROM checkouts c JOIN idempotency_keys k ON k.scope = $2 AND k.idem_key = c.idem_key
				WHERE c.customer_id = $1 AND c.state = 'started' ORDER BY c.created_at, c.idem_key LIMIT 1`, customerID, keyScope(customerID)).Scan(&other)
			if errors.Is(err, sql.ErrNoRows) {
				out, err = s.startCheckout(ctx, tx, customerID, key, hash, now, leaseUntil, start)
				claimed = err == nil
				return err
			}
			if err != nil {
				return fmt.Errorf("read unfinished checkout: %w", err)
			}
			if c, rec, err = s.checkout(ctx, tx, customerID, other); err != nil {
				return err
			}
			out = c
			if rec.LeaseUntil.After(now) {
				return nil
			}
		default:
			return err
		}
		rec.Lease(leaseUntil)
		if err := s.keys.Save(ctx, tx, rec); err != nil {
			return fmt.Errorf("resume checkout: %w", err)
		}
		out.LeaseUntil, claimed = rec.LeaseUntil, true
		return nil
	})
	return out, claimed, err
}

// startCheckout stores a new checkout and its key's record.
func (s *SQLStore) startCheckout(ctx context.Context, tx *sql.Tx, customerID, key, hash string, now, leaseUntil time.Time, start func(Cart) (Checkout, error)) (Checkout, error) {
	cart, err := s.cart(ctx, tx, customerID)
	if err != nil {
		return Checkout{}, err
	}
	c, err := start(cart)
	if err != nil {
		return Checkout{}, err
	}
	c.CustomerID, c.Key, c.RequestHash, c.LeaseUntil, c.CreatedAt = customerID, key, hash, leaseUntil.UTC(), now.UTC()
	items, err := json.Marshal(c.Items)
	if err != nil {
		return Checkout{}, err
	}
	request, err := json.Marshal(c.Request)
	if err != nil {
		return Checkout{}, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO checkouts (`+checkoutColumns+`) VALUES ($1, $2, $3, $4, 'started', $5, $6, NULL)`,
		c.CustomerID, c.Key, c.OrderID, string(items), c.CreatedAt, string(request))
	if err != nil {
		return Checkout{}, fmt.Errorf("start checkout: %w", err)
	}
	err = s.keys.Create(ctx, tx, idempotency.Record{Scope: keyScope(customerID), Key: key, RequestHash: hash, ResourceID: c.OrderID,
		LeaseUntil: c.LeaseUntil, CreatedAt: c.CreatedAt})
	return c, err
}

// CompleteCheckout implements Store.
func (s *SQLStore) CompleteCheckout(ctx context.Context, c Checkout, a Answer, emptyCart bool, now time.Time) (Answer, error) {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		rec, err := s.keys.Get(ctx, tx, keyScope(c.CustomerID), c.Key)
		if err != nil {
			return err
		}
		if rec.Answer != nil { // finished by another request first
			a = *rec.Answer
			return nil
		}
		rec.Complete(a, now)
		if err := s.keys.Save(ctx, tx, rec); err != nil {
			return err
		}
		a = *rec.Answer
		if _, err := tx.ExecContext(ctx, `UPDATE checkouts SET state = 'completed' WHERE customer_id = $1 AND idem_key = $2`,
			c.CustomerID, c.Key); err != nil {
			return fmt.Errorf("complete checkout: %w", err)
		}
		if !emptyCart {
			return nil
		}
		for _, it := range c.Items {
			if _, err := tx.ExecContext(ctx, `DELETE FROM cart_items WHERE customer_id = $1 AND listing_id = $2`, c.CustomerID, it.ListingID); err != nil {
				return fmt.Errorf("empty cart: %w", err)
			}
		}
		return nil
	})
	return a, err
}

// PlaceOrder implements Store.
func (s *SQLStore) PlaceOrder(ctx context.Context, c Checkout, order bus.Event) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE checkouts SET ordered_at = $1 WHERE customer_id = $2 AND idem_key = $3 AND ordered_at IS NULL`,
			s.now().UTC(), c.CustomerID, c.Key)
		if err != nil {
			return fmt.Errorf("place order: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // placed already
		}
		return outbox.Add(ctx, tx, order)
	})
}

// ReleaseCheckout implements Store.
func (s *SQLStore) ReleaseCheckout(ctx context.Context, customerID, key string, now time.Time) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		rec, err := s.keys.Get(ctx, tx, keyScope(customerID), key)
		if err != nil {
			return err
		}
		rec.Release(now)
		return s.keys.Save(ctx, tx, rec)
	})
}

// LastPaid implements Store.
func (s *SQLStore) LastPaid(ctx context.Context, customerID string, since time.Time) (Checkout, bool, error) {
	var key string
	err := s.db.QueryRowContext(ctx, `SELECT c.idem_key FROM checkouts c JOIN idempotency_keys k ON k.scope = $2 AND k.idem_key = c.idem_key
		WHERE c.customer_id = $1 AND k.status_code = 201 AND c.created_at >= $3
		ORDER BY c.created_at DESC, c.idem_key LIMIT 1`, customerID, keyScope(customerID), since.UTC()).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return Checkout{}, false, nil
	}
	if err != nil {
		return Checkout{}, false, fmt.Errorf("read last checkout: %w", err)
	}
	var c Checkout
	err = s.db.InTx(ctx, func(tx *sql.Tx) (err error) {
		c, _, err = s.checkout(ctx, tx, customerID, key)
		return err
	})
	return c, err == nil, err
}

// PruneCheckouts implements Store. The records go first: a checkout
// without one is never found again, so a crash between the two deletes
// leaves only rows the next sweep removes.
func (s *SQLStore) PruneCheckouts(ctx context.Context, cutoff time.Time) (int64, error) {
	if _, err := s.keys.Prune(ctx, cutoff, cutoff); err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM checkouts WHERE created_at < $1 AND NOT EXISTS
		(SELECT 1 FROM idempotency_keys k WHERE k.scope = 'checkout:' || checkouts.customer_id AND k.idem_key = checkouts.idem_key)`, cutoff.UTC())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

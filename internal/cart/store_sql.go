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
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// SQLStore is the Store on SQLite or PostgreSQL.
type SQLStore struct {
	db  *store.DB
	now func() time.Time
}

// NewSQLStore migrates db and returns a store on it.
func NewSQLStore(ctx context.Context, db *store.DB, now func() time.Time) (*SQLStore, error) {
	if err := db.Migrate(ctx, "cart", migrationFiles, "migrations"); err != nil {
		return nil, err
	}
	return &SQLStore{db: db, now: now}, nil
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

const checkoutColumns = `customer_id, idem_key, request_hash, order_id, items, state, status_code, response, lease_until, created_at, request, ordered_at`

func scanCheckout(row interface{ Scan(...any) error }) (Checkout, error) {
	var (
		c            Checkout
		items, state string
		response     string
		request      string
		ordered      store.Time
	)
	err := row.Scan(&c.CustomerID, &c.Key, &c.RequestHash, &c.OrderID, &items, &state, &c.StatusCode, &response, &c.LeaseUntil, &c.CreatedAt, &request, &ordered)
	if err != nil {
		return Checkout{}, err
	}
	c.Ordered = ordered.Valid
	c.Completed = state == "completed"
	c.Response = []byte(response)
	c.LeaseUntil, c.CreatedAt = c.LeaseUntil.UTC(), c.CreatedAt.UTC()
	if request != "" {
		if err := json.Unmarshal([]byte(request), &c.Request); err != nil {
			return Checkout{}, fmt.Errorf("read checkout request: %w", err)
		}
	}
	return c, json.Unmarshal([]byte(items), &c.Items)
}

// ClaimCheckout implements Store.
func (s *SQLStore) ClaimCheckout(ctx context.Context, customerID, key string, now, leaseUntil time.Time, start func(Cart) (Checkout, error)) (Checkout, bool, error) {
	var (
		out     Checkout
		claimed bool
	)
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		// Serialise checkouts of one customer, so two first requests with
		// one key cannot both start.
		if err := s.db.LockKey(ctx, tx, "checkout:"+customerID); err != nil {
			return err
		}
		existing, err := scanCheckout(tx.QueryRowContext(ctx, `SELECT `+checkoutColumns+` FROM checkouts WHERE customer_id = $1 AND idem_key = $2`, customerID, key))
		if errors.Is(err, sql.ErrNoRows) {
			// A new key: the customer's unfinished checkout, if any, is
			// the one this request is about (a cart checks out once).
			existing, err = scanCheckout(tx.QueryRowContext(ctx, `SELECT `+checkoutColumns+` FROM checkouts
				WHERE customer_id = $1 AND state = 'started' ORDER BY created_at, idem_key LIMIT 1`, customerID))
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			cart, err := s.cart(ctx, tx, customerID)
			if err != nil {
				return err
			}
			c, err := start(cart)
			if err != nil {
				return err
			}
			c.CustomerID, c.Key, c.LeaseUntil, c.CreatedAt = customerID, key, leaseUntil.UTC(), now.UTC()
			items, err := json.Marshal(c.Items)
			if err != nil {
				return err
			}
			request, err := json.Marshal(c.Request)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO checkouts (`+checkoutColumns+`) VALUES ($1, $2, $3, $4, $5, 'started', 0, '', $6, $7, $8, NULL)`,
				c.CustomerID, c.Key, c.RequestHash, c.OrderID, string(items), c.LeaseUntil, c.CreatedAt, string(request))
			if err != nil {
				return fmt.Errorf("start checkout: %w", err)
			}
			out, claimed = c, true
			return nil
		case err != nil:
			return fmt.Errorf("read checkout: %w", err)
		}
		out = existing
		if existing.Completed || existing.LeaseUntil.After(now) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE checkouts SET lease_until = $1 WHERE customer_id = $2 AND idem_key = $3`,
			leaseUntil.UTC(), customerID, existing.Key); err != nil {
			return fmt.Errorf("resume checkout: %w", err)
		}
		out.LeaseUntil, claimed = leaseUntil.UTC(), true
		return nil
	})
	return out, claimed, err
}

// CompleteCheckout implements Store.
func (s *SQLStore) CompleteCheckout(ctx context.Context, c Checkout, emptyCart bool) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE checkouts SET state = 'completed', status_code = $1, response = $2 WHERE customer_id = $3 AND idem_key = $4`,
			c.StatusCode, string(c.Response), c.CustomerID, c.Key)
		if err != nil {
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
	_, err := s.db.ExecContext(ctx, `UPDATE checkouts SET lease_until = $1 WHERE customer_id = $2 AND idem_key = $3 AND state = 'started'`,
		now.UTC(), customerID, key)
	return err
}

// LastPaid implements Store.
func (s *SQLStore) LastPaid(ctx context.Context, customerID string, since time.Time) (Checkout, bool, error) {
	c, err := scanCheckout(s.db.QueryRowContext(ctx, `SELECT `+checkoutColumns+` FROM checkouts
		WHERE customer_id = $1 AND state = 'completed' AND status_code = 201 AND created_at >= $2
		ORDER BY created_at DESC, idem_key LIMIT 1`, customerID, since.UTC()))
	if errors.Is(err, sql.ErrNoRows) {
		return Checkout{}, false, nil
	}
	if err != nil {
		return Checkout{}, false, fmt.Errorf("read last checkout: %w", err)
	}
	return c, true, nil
}

// PruneCheckouts implements Store.
func (s *SQLStore) PruneCheckouts(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM checkouts WHERE created_at < $1`, cutoff.UTC())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

package listing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// PutAccess implements Store.
func (s *SQLStore) PutAccess(ctx context.Context, providerID, id string, sealed []byte, at time.Time, check func(provider, listing) error) error {
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
		if err := check(p, l); err != nil {
			return err
		}
		if sealed == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM listing_access WHERE listing_id = $1`, id)
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO listing_access (listing_id, sealed, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (listing_id) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`, id, sealed, at.UTC())
		return err
	})
	if err != nil {
		return fmt.Errorf("set access of listing %s: %w", id, err)
	}
	return nil
}

// Access implements Store.
func (s *SQLStore) Access(ctx context.Context, id string) ([]byte, error) {
	var sealed []byte
	err := s.db.QueryRowContext(ctx, `SELECT sealed FROM listing_access WHERE listing_id = $1`, id).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoAccess
	}
	if err != nil {
		return nil, fmt.Errorf("read access of listing %s: %w", id, err)
	}
	return sealed, nil
}

// AccessSet implements Store.
func (s *SQLStore) AccessSet(ctx context.Context, ids []string) (map[string]bool, error) {
	set := map[string]bool{}
	if len(ids) == 0 {
		return set, nil
	}
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i], args[i] = fmt.Sprintf("$%d", i+1), id
	}
	rows, err := s.db.QueryContext(ctx, `SELECT listing_id FROM listing_access WHERE listing_id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read access flags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		set[id] = true
	}
	return set, rows.Err()
}

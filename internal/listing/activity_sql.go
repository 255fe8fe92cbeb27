package listing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SaveShowings implements Store: a row changes only for a newer tour
// version, so late and repeated news change nothing.
func (s *SQLStore) SaveShowings(ctx context.Context, showings []showing) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, sh := range showings {
			_, err := tx.ExecContext(ctx, `INSERT INTO showings (tour_id, listing_id, status, starts_at, ends_at, tour_version)
				VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (tour_id, listing_id) DO UPDATE SET status = excluded.status, starts_at = excluded.starts_at,
				ends_at = excluded.ends_at, tour_version = excluded.tour_version
				WHERE showings.tour_version < excluded.tour_version`,
				sh.TourID, sh.ListingID, sh.Status, sh.Start.UTC(), sh.End.UTC(), sh.Version)
			if err != nil {
				return fmt.Errorf("save showing of %s in tour %s: %w", sh.ListingID, sh.TourID, err)
			}
		}
		return nil
	})
}

// SaveOpinion implements Store: the newest (At) of an author's opinions
// of a home in a tour is kept.
func (s *SQLStore) SaveOpinion(ctx context.Context, o opinion) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO showing_feedback (tour_id, listing_id, author, rating, interest, price_opinion, comment, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (tour_id, listing_id, author) DO UPDATE SET rating = excluded.rating, interest = excluded.interest,
		price_opinion = excluded.price_opinion, comment = excluded.comment, updated_at = excluded.updated_at
		WHERE showing_feedback.updated_at < excluded.updated_at`,
		o.TourID, o.ListingID, o.Author, o.Rating, o.Interest, o.PriceOpinion, o.Comment, o.At.UTC())
	if err != nil {
		return fmt.Errorf("save feedback on %s in tour %s: %w", o.ListingID, o.TourID, err)
	}
	return nil
}

// Showings implements Store.
func (s *SQLStore) Showings(ctx context.Context, listingID string) ([]showing, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT tour_id, listing_id, status, starts_at, ends_at, tour_version FROM showings
		WHERE listing_id = $1 ORDER BY starts_at, tour_id`, listingID)
	if err != nil {
		return nil, fmt.Errorf("read showings of %s: %w", listingID, err)
	}
	defer rows.Close()
	var out []showing
	for rows.Next() {
		var sh showing
		if err := rows.Scan(&sh.TourID, &sh.ListingID, &sh.Status, &sh.Start, &sh.End, &sh.Version); err != nil {
			return nil, err
		}
		sh.Start, sh.End = sh.Start.UTC(), sh.End.UTC()
		out = append(out, sh)
	}
	return out, rows.Err()
}

// Opinions implements Store.
func (s *SQLStore) Opinions(ctx context.Context, listingID string) ([]opinion, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT tour_id, listing_id, author, rating, interest, price_opinion, comment, updated_at
		FROM showing_feedback WHERE listing_id = $1 ORDER BY updated_at DESC, tour_id, author`, listingID)
	if err != nil {
		return nil, fmt.Errorf("read feedback on %s: %w", listingID, err)
	}
	defer rows.Close()
	var out []opinion
	for rows.Next() {
		var o opinion
		if err := rows.Scan(&o.TourID, &o.ListingID, &o.Author, &o.Rating, &o.Interest, &o.PriceOpinion, &o.Comment, &o.At); err != nil {
			return nil, err
		}
		o.At = o.At.UTC()
		out = append(out, o)
	}
	return out, rows.Err()
}

// ListingOwner implements Store.
func (s *SQLStore) ListingOwner(ctx context.Context, id string) (string, string, error) {
	var provider, zone string
	err := s.db.QueryRowContext(ctx, `SELECT provider_id, time_zone FROM listings WHERE id = $1 AND status = 'active'`, id).Scan(&provider, &zone)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", errNotFound
	}
	if err != nil {
		return "", "", fmt.Errorf("read listing %s: %w", id, err)
	}
	return provider, zone, nil
}

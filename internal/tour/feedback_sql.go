package tour

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox"
)

// RequestFeedback implements Store: the primary key (tour_id, user_id)
// makes each request once.
func (s *SQLStore) RequestFeedback(ctx context.Context, id string, ask func(t tour) []feedbackRequest,
	tell func(t tour, r feedbackRequest) (bus.Event, error)) ([]feedbackRequest, error) {
	var made []feedbackRequest
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		made = nil
		t, err := scanTour(tx.QueryRowContext(ctx, `SELECT `+columns+` FROM tours WHERE id = $1 `+s.db.Dialect.ForUpdate, id))
		if err != nil {
			return err
		}
		for _, r := range ask(t) {
			res, err := tx.ExecContext(ctx, `INSERT INTO feedback_requests (tour_id, user_id, party, requested_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT DO NOTHING`, r.TourID, r.UserID, r.Party, r.RequestedAt.UTC())
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				if err != nil {
					return err
				}
				continue // asked before
			}
			ev, err := tell(t, r)
			if err != nil {
				return err
			}
			if err := outbox.Add(ctx, tx, ev); err != nil {
				return err
			}
			made = append(made, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("request feedback on tour %s: %w", id, err)
	}
	return made, nil
}

// FeedbackRequests implements Store.
func (s *SQLStore) FeedbackRequests(ctx context.Context, id string) ([]feedbackRequest, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT tour_id, user_id, party, requested_at FROM feedback_requests WHERE tour_id = $1 ORDER BY party, user_id`, id)
	if err != nil {
		return nil, fmt.Errorf("read feedback requests of tour %s: %w", id, err)
	}
	defer rows.Close()
	var out []feedbackRequest
	for rows.Next() {
		var r feedbackRequest
		if err := rows.Scan(&r.TourID, &r.UserID, &r.Party, &r.RequestedAt); err != nil {
			return nil, err
		}
		r.RequestedAt = r.RequestedAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

const feedbackColumns = `tour_id, listing_id, author_id, party, rating, interest, price_opinion, comment, created_at, updated_at`

func scanFeedback(row interface{ Scan(...any) error }) (feedback, error) {
	var f feedback
	err := row.Scan(&f.TourID, &f.ListingID, &f.AuthorID, &f.Party, &f.Rating, &f.Interest, &f.PriceOpinion, &f.Comment, &f.CreatedAt, &f.UpdatedAt)
	f.CreatedAt, f.UpdatedAt = f.CreatedAt.UTC(), f.UpdatedAt.UTC()
	return f, err
}

// PutFeedback implements Store.
func (s *SQLStore) PutFeedback(ctx context.Context, id, listingID, author string,
	put func(t tour, old *feedback) (feedback, *bus.Event, error)) (feedback, error) {
	var out feedback
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		t, err := scanTour(tx.QueryRowContext(ctx, `SELECT `+columns+` FROM tours WHERE id = $1 `+s.db.Dialect.ForUpdate, id))
		if err != nil {
			return err
		}
		var old *feedback
		f, err := scanFeedback(tx.QueryRowContext(ctx, `SELECT `+feedbackColumns+` FROM feedback WHERE tour_id = $1 AND listing_id = $2 AND author_id = $3`,
			id, listingID, author))
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("read feedback: %w", err)
		default:
			old = &f
		}
		f, ev, err := put(t, old)
		if err != nil {
			return err
		}
		out = f
		if ev == nil {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO feedback (`+feedbackColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (tour_id, listing_id, author_id) DO UPDATE SET party = excluded.party, rating = excluded.rating, interest = excluded.interest,
			price_opinion = excluded.price_opinion, comment = excluded.comment, updated_at = excluded.updated_at`,
			f.TourID, f.ListingID, f.AuthorID, f.Party, f.Rating, f.Interest, f.PriceOpinion, f.Comment, f.CreatedAt.UTC(), f.UpdatedAt.UTC())
		if err != nil {
			return fmt.Errorf("save feedback: %w", err)
		}
		return outbox.Add(ctx, tx, *ev)
	})
	return out, err
}

// Feedback implements Store.
func (s *SQLStore) Feedback(ctx context.Context, id, author string) ([]feedback, error) {
	q, args := `SELECT `+feedbackColumns+` FROM feedback WHERE tour_id = $1`, []any{id}
	if author != "" {
		q, args = q+` AND author_id = $2`, append(args, author)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY listing_id, author_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read feedback of tour %s: %w", id, err)
	}
	defer rows.Close()
	var out []feedback
	for rows.Next() {
		f, err := scanFeedback(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

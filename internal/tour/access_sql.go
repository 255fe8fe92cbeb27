package tour

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox"
)

// Append implements Store.
func (s *SQLStore) Append(ctx context.Context, evs ...bus.Event) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error { return outbox.AddAll(ctx, tx, evs) })
}

// AccessDue implements Store. The first home's window opens lead before
// the tour's start (the first stop is at the start).
func (s *SQLStore) AccessDue(ctx context.Context, now time.Time, lead time.Duration, limit int) ([]tour, error) {
	return s.query(ctx, `SELECT `+columns+` FROM tours t WHERE status = 'scheduled' AND realtor_id <> ''
		AND scheduled_at <= $1 AND ends_at > $2
		AND NOT EXISTS (SELECT 1 FROM access_notices n WHERE n.tour_id = t.id AND n.realtor_id = t.realtor_id AND n.scheduled_at = t.scheduled_at)
		ORDER BY scheduled_at LIMIT $3`, now.Add(lead).UTC(), now.UTC(), limit)
}

// NoteAccessOpened implements Store.
func (s *SQLStore) NoteAccessOpened(ctx context.Context, id string, now time.Time, tell func(t tour) (*bus.Event, error)) (bool, error) {
	told := false
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		t, err := scanTour(tx.QueryRowContext(ctx, `SELECT `+columns+` FROM tours WHERE id = $1 `+s.db.Dialect.ForUpdate, id))
		if err != nil {
			return err
		}
		ev, err := tell(t)
		if err != nil || ev == nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO access_notices (tour_id, realtor_id, scheduled_at, notified_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, t.ID, t.RealtorID, t.ScheduledAt.UTC(), now.UTC())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		told = true
		return outbox.Add(ctx, tx, *ev)
	})
	if err != nil {
		return false, fmt.Errorf("note access of tour %s: %w", id, err)
	}
	return told, nil
}

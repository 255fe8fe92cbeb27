package iam

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// PutCalendarImport implements CalendarImportStore.
func (s *SQLStore) PutCalendarImport(ctx context.Context, imp calendarImport, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO calendar_imports (user_id, url_sealed, next_sync_at, claim, failures, last_error, updated_at)
		VALUES ($1, $2, $3, '', 0, '', $4)
		ON CONFLICT (user_id) DO UPDATE SET url_sealed = excluded.url_sealed, next_sync_at = excluded.next_sync_at,
			claim = '', failures = 0, last_error = '', last_success_at = NULL, updated_at = excluded.updated_at`,
		imp.UserID, imp.Sealed, imp.NextSyncAt.UTC(), at.UTC())
	if err != nil {
		return fmt.Errorf("save calendar import: %w", err)
	}
	return nil
}

// DeleteCalendarImport implements CalendarImportStore.
func (s *SQLStore) DeleteCalendarImport(ctx context.Context, userID string, events ...bus.Event) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_imports WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("delete calendar import: %w", err)
		}
		return outbox.AddAll(ctx, tx, events)
	})
}

// ClaimCalendarImport implements CalendarImportStore. On PostgreSQL rows
// other rounds hold are skipped (FOR UPDATE SKIP LOCKED); the lease keeps
// them off the row while the fetch runs outside the transaction.
func (s *SQLStore) ClaimCalendarImport(ctx context.Context, now, leaseUntil time.Time, claim string) (calendarImport, bool, error) {
	var (
		imp   calendarImport
		found bool
	)
	err := s.db.InTxNoHooks(ctx, func(tx *sql.Tx) error {
		var last store.Time
		err := tx.QueryRowContext(ctx, `SELECT user_id, url_sealed, next_sync_at, failures, last_success_at, last_error, busy_hash
			FROM calendar_imports WHERE next_sync_at <= $1 ORDER BY next_sync_at, user_id LIMIT 1 `+s.db.Dialect.SkipLocked, now.UTC()).
			Scan(&imp.UserID, &imp.Sealed, &imp.NextSyncAt, &imp.Failures, &last, &imp.LastError, &imp.BusyHash)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("claim calendar import: %w", err)
		}
		imp.LastSuccessAt, imp.Claim, imp.NextSyncAt = last.UTC(), claim, leaseUntil.UTC()
		if _, err := tx.ExecContext(ctx, `UPDATE calendar_imports SET claim = $1, next_sync_at = $2 WHERE user_id = $3`,
			claim, imp.NextSyncAt, imp.UserID); err != nil {
			return fmt.Errorf("claim calendar import: %w", err)
		}
		found = true
		return nil
	})
	return imp, found, err
}

// FinishCalendarImport implements CalendarImportStore.
func (s *SQLStore) FinishCalendarImport(ctx context.Context, imp calendarImport, out calendarOutcome, events ...bus.Event) (bool, error) {
	recorded := false
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		failures := 0
		var success any
		if out.Success {
			success = out.At.UTC()
		} else {
			failures = imp.Failures + 1
		}
		res, err := tx.ExecContext(ctx, `UPDATE calendar_imports SET claim = '', next_sync_at = $1, failures = $2,
				last_success_at = COALESCE($3, last_success_at), last_error = $4, busy_hash = $5, updated_at = $6
			WHERE user_id = $7 AND claim = $8`,
			out.NextSyncAt.UTC(), failures, success, out.Error, out.BusyHash, out.At.UTC(), imp.UserID, imp.Claim)
		if err != nil {
			return fmt.Errorf("finish calendar import: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		recorded = true
		return outbox.AddAll(ctx, tx, events)
	})
	return recorded, err
}

// CalendarSync implements CalendarImportStore.
func (s *SQLStore) CalendarSync(ctx context.Context, userID string) (calendarSyncState, error) {
	var (
		st   calendarSyncState
		last store.Time
	)
	err := s.db.QueryRowContext(ctx, `SELECT last_success_at, last_error FROM calendar_imports WHERE user_id = $1`, userID).Scan(&last, &st.LastError)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read calendar import: %w", err)
	}
	st.URLSet, st.LastSuccessAt = true, last.UTC()
	return st, nil
}

// NextCalendarSync implements CalendarImportStore.
func (s *SQLStore) NextCalendarSync(ctx context.Context) (time.Time, bool, error) {
	var next store.Time
	if err := s.db.QueryRowContext(ctx, `SELECT MIN(next_sync_at) FROM calendar_imports`).Scan(&next); err != nil {
		return time.Time{}, false, fmt.Errorf("next calendar sync: %w", err)
	}
	return next.UTC(), next.Valid, nil
}

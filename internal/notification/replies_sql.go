package notification

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
)

const inboxAssignments = "notification.assignments"

// PutAssignment implements Store: once per event; older news than the
// status kept changes nothing.
func (s *SQLStore) PutAssignment(ctx context.Context, eventID string, a assignment) error {
	return outbox.Once(ctx, s.db, inboxAssignments, eventID, s.now, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO assignments (appointment_id, tour_id, realtor_id, status, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (appointment_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
			WHERE excluded.updated_at >= assignments.updated_at`,
			a.AppointmentID, a.TourID, a.RealtorID, a.Status, a.At.UTC())
		if err != nil {
			return fmt.Errorf("put assignment: %w", err)
		}
		return nil
	})
}

// RecordReply implements Store: a MessageSid already recorded changes
// nothing (false). STOP and START change the phone in the same
// transaction.
func (s *SQLStore) RecordReply(ctx context.Context, r reply) (bool, error) {
	recorded := false
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO sms_replies (message_sid, user_id, action, state, next_attempt_at, received_at)
			VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (message_sid) DO NOTHING`,
			r.MessageSID, r.UserID, r.Action, r.State, r.ReceivedAt.UTC())
		if err != nil {
			return fmt.Errorf("record reply: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		recorded = true
		switch r.Action {
		case replyStop:
			_, err = tx.ExecContext(ctx, `UPDATE phones SET opted_out_at = $1, updated_at = $1 WHERE user_id = $2 AND opted_out_at IS NULL`,
				r.ReceivedAt.UTC(), r.UserID)
		case replyStart:
			_, err = tx.ExecContext(ctx, `UPDATE phones SET opted_out_at = NULL, updated_at = $1 WHERE user_id = $2`, r.ReceivedAt.UTC(), r.UserID)
		}
		return err
	})
	return recorded, err
}

// ClaimReply implements Store.
func (s *SQLStore) ClaimReply(ctx context.Context, now, leaseUntil time.Time) (reply, bool, error) {
	var (
		r     reply
		found bool
	)
	err := s.db.InTxNoHooks(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT message_sid, user_id, action, state, tour_id, attempts, next_attempt_at, last_error, received_at
			FROM sms_replies WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, message_sid LIMIT 1 `+s.db.Dialect.SkipLocked,
			now.UTC()).Scan(&r.MessageSID, &r.UserID, &r.Action, &r.State, &r.TourID, &r.Attempts, &r.NextAttemptAt, &r.LastError, &r.ReceivedAt)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("claim reply: %w", err)
		}
		r.Attempts++
		r.ReceivedAt = r.ReceivedAt.UTC()
		found = true
		_, err = tx.ExecContext(ctx, `UPDATE sms_replies SET attempts = $1, next_attempt_at = $2 WHERE message_sid = $3`,
			r.Attempts, leaseUntil.UTC(), r.MessageSID)
		return err
	})
	return r, found, err
}

// FinishReply implements Store.
func (s *SQLStore) FinishReply(ctx context.Context, sid, state, lastError string, next time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sms_replies SET state = $1, last_error = $2, next_attempt_at = $3 WHERE message_sid = $4`,
		state, lastError, next.UTC(), sid)
	if err != nil {
		return fmt.Errorf("finish reply: %w", err)
	}
	return nil
}

// ReplyTarget implements Store: the realtor's assignment that the newest
// assignment text sent to them before the reply was about, if it still
// waits for an answer.
func (s *SQLStore) ReplyTarget(ctx context.Context, realtorID string, before time.Time) (assignment, error) {
	var tourID string
	err := s.db.QueryRowContext(ctx, `SELECT tour_id FROM deliveries
		WHERE user_id = $1 AND channel = 'sms' AND kind = $2 AND state = 'delivered' AND delivered_at <= $3
		ORDER BY delivered_at DESC, id DESC LIMIT 1`, realtorID, string(kindTourScheduled), before.UTC()).Scan(&tourID)
	if errors.Is(err, sql.ErrNoRows) {
		return assignment{}, errNothingToAnswer
	}
	if err != nil {
		return assignment{}, fmt.Errorf("reply target: %w", err)
	}
	var (
		a  assignment
		at store.Time
	)
	err = s.db.QueryRowContext(ctx, `SELECT appointment_id, tour_id, realtor_id, status, updated_at FROM assignments
		WHERE tour_id = $1 AND realtor_id = $2 AND status = 'scheduled' ORDER BY updated_at DESC LIMIT 1`, tourID, realtorID).
		Scan(&a.AppointmentID, &a.TourID, &a.RealtorID, &a.Status, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return assignment{}, errNothingToAnswer
	}
	if err != nil {
		return assignment{}, fmt.Errorf("reply target: %w", err)
	}
	a.At = at.UTC()
	return a, nil
}

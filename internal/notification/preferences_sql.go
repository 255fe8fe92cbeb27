package notification

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/platform/store"
)

func (s *SQLStore) preferences(ctx context.Context, q queryer, userID string) (preferences, error) {
	var (
		channels, offsets, qs, qe string
		p                         = preferences{UserID: userID}
	)
	err := q.QueryRowContext(ctx, `SELECT channels, reminder_offsets, quiet_start, quiet_end, time_zone, updated_at
		FROM preferences WHERE user_id = $1`, userID).Scan(&channels, &offsets, &qs, &qe, &p.TimeZone, &p.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return defaultPreferences(userID), nil
	}
	if err != nil {
		return p, fmt.Errorf("read preferences: %w", err)
	}
	if err := json.Unmarshal([]byte(channels), &p.Channels); err != nil {
		return p, fmt.Errorf("read preferences: %w", err)
	}
	if offsets != "" {
		var secs []int64
		if err := json.Unmarshal([]byte(offsets), &secs); err != nil {
			return p, fmt.Errorf("read preferences: %w", err)
		}
		p.ReminderOffsets = make([]time.Duration, len(secs))
		for i, s := range secs {
			p.ReminderOffsets[i] = time.Duration(s) * time.Second
		}
	}
	if qs != "" {
		p.Quiet = &quietHours{Start: qs, End: qe}
	}
	p.UpdatedAt = p.UpdatedAt.UTC()
	return p, nil
}

// Preferences implements Store.
func (s *SQLStore) Preferences(ctx context.Context, userID string) (preferences, error) {
	return s.preferences(ctx, s.db, userID)
}

// PutPreferences implements Store.
func (s *SQLStore) PutPreferences(ctx context.Context, p preferences) error {
	channels, err := json.Marshal(p.Channels)
	if err != nil {
		return err
	}
	offsets := ""
	if p.ReminderOffsets != nil {
		secs := make([]int64, len(p.ReminderOffsets))
		for i, d := range p.ReminderOffsets {
			secs[i] = int64(d / time.Second)
		}
		raw, _ := json.Marshal(secs)
		offsets = string(raw)
	}
	qs, qe := "", ""
	if p.Quiet != nil {
		qs, qe = p.Quiet.Start, p.Quiet.End
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO preferences (user_id, channels, reminder_offsets, quiet_start, quiet_end, time_zone, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (user_id) DO UPDATE SET channels = excluded.channels, reminder_offsets = excluded.reminder_offsets,
			quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end, time_zone = excluded.time_zone, updated_at = excluded.updated_at`,
		p.UserID, string(channels), offsets, qs, qe, p.TimeZone, p.UpdatedAt.UTC())
	if err != nil {
		return fmt.Errorf("save preferences: %w", err)
	}
	return nil
}

const phoneColumns = `user_id, number, verified_at, opted_out_at, code_hash, code_expires_at, attempts, updated_at`

func scanPhone(row store.Scanner) (phone, error) {
	var (
		p                      phone
		verified, out, expires store.Time
	)
	err := row.Scan(&p.UserID, &p.Number, &verified, &out, &p.CodeHash, &expires, &p.Attempts, &p.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return phone{}, errNoPhone
	}
	if err != nil {
		return phone{}, fmt.Errorf("read phone: %w", err)
	}
	p.VerifiedAt, p.OptedOutAt, p.CodeExpires, p.UpdatedAt = verified.UTC(), out.UTC(), expires.UTC(), p.UpdatedAt.UTC()
	return p, nil
}

// Phone implements Store.
func (s *SQLStore) Phone(ctx context.Context, userID string) (phone, error) {
	return scanPhone(s.db.QueryRowContext(ctx, `SELECT `+phoneColumns+` FROM phones WHERE user_id = $1`, userID))
}

// PhoneByNumber implements Store: the verified phone with this number (the
// newest verified, should two users have verified one number).
func (s *SQLStore) PhoneByNumber(ctx context.Context, number string) (phone, error) {
	return scanPhone(s.db.QueryRowContext(ctx, `SELECT `+phoneColumns+` FROM phones
		WHERE number = $1 AND verified_at IS NOT NULL ORDER BY verified_at DESC LIMIT 1`, number))
}

// UpdatePhone implements Store.
func (s *SQLStore) UpdatePhone(ctx context.Context, userID string, fn func(p *phone, found bool) error) (phone, error) {
	var out phone
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.db.LockKey(ctx, tx, "phone:"+userID); err != nil {
			return err
		}
		p, err := scanPhone(tx.QueryRowContext(ctx, `SELECT `+phoneColumns+` FROM phones WHERE user_id = $1`, userID))
		found := err == nil
		if err != nil && !errors.Is(err, errNoPhone) {
			return err
		}
		p.UserID = userID
		if err := fn(&p, found); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO phones (`+phoneColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (user_id) DO UPDATE SET number = excluded.number, verified_at = excluded.verified_at,
				opted_out_at = excluded.opted_out_at, code_hash = excluded.code_hash, code_expires_at = excluded.code_expires_at,
				attempts = excluded.attempts, updated_at = excluded.updated_at`,
			userID, p.Number, store.NullTime(p.VerifiedAt), store.NullTime(p.OptedOutAt), p.CodeHash, store.NullTime(p.CodeExpires),
			p.Attempts, p.UpdatedAt.UTC())
		if err != nil {
			return fmt.Errorf("save phone: %w", err)
		}
		out = p
		return nil
	})
	return out, err
}

// DeletePhone implements Store.
func (s *SQLStore) DeletePhone(ctx context.Context, userID string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM phones WHERE user_id = $1`, userID)
	if err != nil {
		return fmt.Errorf("delete phone: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errNoPhone
	}
	return nil
}

func (v txView) Preferences(ctx context.Context, userID string) (preferences, error) {
	return v.s.preferences(ctx, v.tx, userID)
}

func (v txView) Phone(ctx context.Context, userID string) (phone, error) {
	p, err := scanPhone(v.tx.QueryRowContext(ctx, `SELECT `+phoneColumns+` FROM phones WHERE user_id = $1`, userID))
	if errors.Is(err, errNoPhone) {
		return phone{UserID: userID}, nil
	}
	return p, err
}

// deliveryFilter narrows the admins' list of deliveries.
type deliveryFilter struct {
	State   deliveryState
	Channel channel
	UserID  string
}

// deliveryPage is a position in that list: older than (CreatedAt, ID).
type deliveryPage struct {
	CreatedAt time.Time `json:"t"`
	ID        string    `json:"id"`
}

// Deliveries implements Store: newest first, without payloads.
func (s *SQLStore) Deliveries(ctx context.Context, f deliveryFilter, after *deliveryPage, limit int) ([]delivery, error) {
	q := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE 1 = 1`
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.State != "" {
		q += ` AND state = ` + arg(string(f.State))
	}
	if f.Channel != "" {
		q += ` AND channel = ` + arg(string(f.Channel))
	}
	if f.UserID != "" {
		q += ` AND user_id = ` + arg(f.UserID)
	}
	if after != nil {
		t, id := arg(after.CreatedAt.UTC()), arg(after.ID)
		q += ` AND (created_at < ` + t + ` OR (created_at = ` + t + ` AND id < ` + id + `))`
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ` + arg(limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var out []delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("list deliveries: %w", err)
		}
		d.Payload, d.Claim = nil, ""
		out = append(out, d)
	}
	return out, rows.Err()
}

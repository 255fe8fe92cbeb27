package notification

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// inbox handler names: the idempotency scope of each kind of news.
const (
	inboxContacts = "notification.contacts"
	inboxTours    = "notification.tours"
)

// SQLStore is the Store on SQLite or PostgreSQL. The outbox tables must be
// migrated in the same database (the app does it for every service).
type SQLStore struct {
	db  *store.DB
	now func() time.Time
}

// NewSQLStore migrates db and returns a store on it.
func NewSQLStore(ctx context.Context, db *store.DB, now func() time.Time) (*SQLStore, error) {
	if err := db.Migrate(ctx, "notification", migrationFiles, "migrations"); err != nil {
		return nil, err
	}
	return &SQLStore{db: db, now: now}, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// --- address book

func (s *SQLStore) contact(ctx context.Context, q queryer, userID, suffix string) (contact, error) {
	c := contact{UserID: userID}
	var emailAt, nameAt, tzAt store.Time
	err := q.QueryRowContext(ctx, `SELECT email, name, role, time_zone, email_at, name_at, time_zone_at
		FROM contacts WHERE user_id = $1 `+suffix, userID).
		Scan(&c.Email, &c.Name, &c.Role, &c.TimeZone, &emailAt, &nameAt, &tzAt)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("read contact %s: %w", userID, err)
	}
	c.EmailAt, c.NameAt, c.TimeZoneAt = emailAt.UTC(), nameAt.UTC(), tzAt.UTC()
	return c, nil
}

// UpdateContact implements Store.
func (s *SQLStore) UpdateContact(ctx context.Context, eventID, userID string, fn func(*contact)) error {
	return outbox.Once(ctx, s.db, inboxContacts, eventID, s.now, func(tx *sql.Tx) error {
		if err := s.db.LockKey(ctx, tx, "contact:"+userID); err != nil {
			return err
		}
		c, err := s.contact(ctx, tx, userID, s.db.Dialect.ForUpdate)
		if err != nil {
			return err
		}
		fn(&c)
		_, err = tx.ExecContext(ctx, `INSERT INTO contacts (user_id, email, name, role, time_zone, email_at, name_at, time_zone_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, name = excluded.name, role = excluded.role,
				time_zone = excluded.time_zone, email_at = excluded.email_at, name_at = excluded.name_at, time_zone_at = excluded.time_zone_at`,
			userID, c.Email, c.Name, c.Role, c.TimeZone, store.NullTime(c.EmailAt), store.NullTime(c.NameAt), store.NullTime(c.TimeZoneAt))
		if err != nil {
			return fmt.Errorf("write contact %s: %w", userID, err)
		}
		return nil
	})
}

// Contact implements Store.
func (s *SQLStore) Contact(ctx context.Context, userID string) (contact, error) {
	return s.contact(ctx, s.db, userID, "")
}

// --- the view planners read through

type txView struct {
	s  *SQLStore
	tx *sql.Tx
}

func (v txView) Tour(ctx context.Context, tourID string) (events.Tour, bool, error) {
	var snapshot string
	err := v.tx.QueryRowContext(ctx, `SELECT snapshot FROM tours WHERE tour_id = $1`, tourID).Scan(&snapshot)
	if errors.Is(err, sql.ErrNoRows) {
		return events.Tour{}, false, nil
	}
	if err != nil {
		return events.Tour{}, false, fmt.Errorf("read tour %s: %w", tourID, err)
	}
	var t events.Tour
	if err := json.Unmarshal([]byte(snapshot), &t); err != nil {
		return events.Tour{}, false, fmt.Errorf("read tour %s: %w", tourID, err)
	}
	return t, true, nil
}

func (v txView) Contact(ctx context.Context, userID string) (contact, error) {
	return v.s.contact(ctx, v.tx, userID, "")
}

func (v txView) HasWebhook(ctx context.Context, userID string) (bool, error) {
	var n int
	if err := v.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhooks WHERE user_id = $1`, userID).Scan(&n); err != nil {
		return false, fmt.Errorf("read webhook: %w", err)
	}
	return n > 0, nil
}

func (v txView) NewerReminderDue(ctx context.Context, r reminder, now time.Time) (bool, error) {
	var n int
	err := v.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM reminders
		WHERE tour_id = $1 AND user_id = $2 AND tour_version = $3 AND id <> $4
		AND state IN ('pending', 'sent') AND due_at > $5 AND due_at <= $6`,
		r.TourID, r.UserID, r.TourVersion, r.ID, r.DueAt.UTC(), now.UTC()).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read reminders: %w", err)
	}
	return n > 0, nil
}

// --- writing changes

func (s *SQLStore) write(ctx context.Context, tx *sql.Tx, ch changes) error {
	at := ch.At.UTC()
	if t := ch.Tour; t != nil {
		snapshot, err := json.Marshal(t)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO tours (tour_id, version, status, snapshot, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tour_id) DO UPDATE SET version = excluded.version, status = excluded.status,
				snapshot = excluded.snapshot, updated_at = excluded.updated_at
			WHERE excluded.version >= tours.version`,
			t.TourID, t.Version, t.Status, string(snapshot), at)
		if err != nil {
			return fmt.Errorf("write tour %s: %w", t.TourID, err)
		}
		if err := writeParties(ctx, tx, *t, at); err != nil {
			return err
		}
		if ch.CancelBefore > 0 {
			_, err = tx.ExecContext(ctx, `UPDATE reminders SET state = 'cancelled', done_at = $1
				WHERE tour_id = $2 AND state = 'pending' AND tour_version < $3`, at, t.TourID, ch.CancelBefore)
			if err != nil {
				return fmt.Errorf("cancel reminders of %s: %w", t.TourID, err)
			}
		}
	}
	for _, r := range ch.Reminders {
		_, err := tx.ExecContext(ctx, `INSERT INTO reminders (id, tour_id, tour_version, user_id, role, offset_seconds, due_at, state, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)
			ON CONFLICT (tour_id, tour_version, user_id, offset_seconds) DO NOTHING`,
			r.ID, r.TourID, r.TourVersion, r.UserID, r.Role, int64(r.Offset/time.Second), r.DueAt.UTC(), at)
		if err != nil {
			return fmt.Errorf("set reminder: %w", err)
		}
	}
	for _, n := range ch.Notifications {
		_, err := tx.ExecContext(ctx, `INSERT INTO notifications (id, user_id, kind, tour_id, channel, subject, body, send_at, sent_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			n.ID, n.UserID, string(n.Kind), n.TourID, string(n.Channel), n.Subject, n.Body, n.SendAt.UTC(), n.SentAt.UTC())
		if err != nil {
			return fmt.Errorf("write notification: %w", err)
		}
	}
	for _, d := range ch.Deliveries {
		_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (id, notification_id, user_id, channel, kind, tour_id, payload, state, attempts, next_attempt_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $9)`,
			d.ID, d.NotificationID, d.UserID, string(d.Channel), string(d.Kind), d.TourID, string(d.Payload), d.NextAttemptAt.UTC(), at)
		if err != nil {
			return fmt.Errorf("queue delivery: %w", err)
		}
	}
	for _, sent := range ch.Sent {
		if err := addSent(ctx, tx, sent); err != nil {
			return err
		}
	}
	return nil
}

func addSent(ctx context.Context, tx *sql.Tx, sent events.NotificationSent) error {
	ev, err := bus.NewEvent(ctx, events.TypeNotificationSent, sent.NotificationID, sent, sent.SentAt)
	if err != nil {
		return err
	}
	return outbox.Add(ctx, tx, ev)
}

// Apply implements Store. lockKey serialises the events of one thing (a
// tour) across instances, so two of them never plan from the same state.
func (s *SQLStore) Apply(ctx context.Context, eventID, lockKey string, plan func(ctx context.Context, v view) (changes, error)) error {
	return outbox.Once(ctx, s.db, inboxTours, eventID, s.now, func(tx *sql.Tx) error {
		if err := s.db.LockKey(ctx, tx, lockKey); err != nil {
			return err
		}
		ch, err := plan(ctx, txView{s, tx})
		if err != nil {
			return err
		}
		return s.write(ctx, tx, ch)
	})
}

// --- reminders

const reminderColumns = `id, tour_id, tour_version, user_id, role, offset_seconds, due_at, state`

func scanReminder(row store.Scanner) (reminder, error) {
	var (
		r      reminder
		offset int64
		state  string
	)
	if err := row.Scan(&r.ID, &r.TourID, &r.TourVersion, &r.UserID, &r.Role, &offset, &r.DueAt, &state); err != nil {
		return reminder{}, err
	}
	r.Offset, r.DueAt, r.State = time.Duration(offset)*time.Second, r.DueAt.UTC(), reminderState(state)
	return r, nil
}

// FireNext implements Store. On PostgreSQL the claim skips rows other
// instances hold (FOR UPDATE SKIP LOCKED), so each reminder is decided by
// exactly one of them; SQLite transactions are exclusive already.
func (s *SQLStore) FireNext(ctx context.Context, now time.Time, decide func(ctx context.Context, v view, r reminder) (reminderState, changes, error)) (bool, error) {
	found := false
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := scanReminder(tx.QueryRowContext(ctx, `SELECT `+reminderColumns+` FROM reminders
			WHERE state = 'pending' AND due_at <= $1 ORDER BY due_at, id LIMIT 1 `+s.db.Dialect.SkipLocked, now.UTC()))
		if errors.Is(err, sql.ErrNoRows) {
			// Roll back rather than commit an empty transaction: a commit
			// runs the after-commit hooks, which wake this very poller, which
			// would then spin on nothing.
			return errNothingDue
		}
		if err != nil {
			return fmt.Errorf("claim reminder: %w", err)
		}
		found = true
		state, ch, err := decide(ctx, txView{s, tx}, r)
		if err != nil {
			return err
		}
		if state == reminderPending {
			return fmt.Errorf("reminder %s: a decision must leave it pending no longer", r.ID)
		}
		if err := s.write(ctx, tx, ch); err != nil {
			return err
		}
		notificationID := ""
		if len(ch.Notifications) > 0 {
			notificationID = ch.Notifications[0].ID
		}
		res, err := tx.ExecContext(ctx, `UPDATE reminders SET state = $1, notification_id = $2, done_at = $3 WHERE id = $4 AND state = 'pending'`,
			string(state), notificationID, now.UTC(), r.ID)
		if err != nil {
			return fmt.Errorf("mark reminder %s: %w", r.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("mark reminder %s: %d rows, %v", r.ID, n, err)
		}
		return nil
	})
	if errors.Is(err, errNothingDue) {
		return false, nil
	}
	return found, err
}

// errNothingDue ends FireNext's transaction without a commit.
var errNothingDue = errors.New("no reminder due")

// FailReminder implements Store.
func (s *SQLStore) FailReminder(ctx context.Context, id string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE reminders SET state = 'failed', done_at = $1 WHERE id = $2 AND state = 'pending'`, now.UTC(), id)
	return err
}

// Reminders implements Store.
func (s *SQLStore) Reminders(ctx context.Context, tourID string) ([]reminder, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+reminderColumns+` FROM reminders WHERE tour_id = $1 ORDER BY due_at, user_id, id`, tourID)
	if err != nil {
		return nil, fmt.Errorf("list reminders: %w", err)
	}
	defer rows.Close()
	var out []reminder
	for rows.Next() {
		r, err := scanReminder(rows)
		if err != nil {
			return nil, fmt.Errorf("list reminders: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// --- deliveries

const deliveryColumns = `id, notification_id, user_id, channel, kind, tour_id, payload, state, attempts, next_attempt_at, last_error, delivered_at, created_at, claim`

func scanDelivery(row store.Scanner) (delivery, error) {
	var (
		d                      delivery
		ch, kind, state        string
		payload                string
		deliveredAt            store.Time
		nextAttempt, createdAt time.Time
	)
	err := row.Scan(&d.ID, &d.NotificationID, &d.UserID, &ch, &kind, &d.TourID, &payload, &state, &d.Attempts,
		&nextAttempt, &d.LastError, &deliveredAt, &createdAt, &d.Claim)
	if err != nil {
		return delivery{}, err
	}
	d.Channel, d.Kind, d.State, d.Payload = channel(ch), Kind(kind), deliveryState(state), []byte(payload)
	d.NextAttemptAt, d.CreatedAt, d.DeliveredAt = nextAttempt.UTC(), createdAt.UTC(), deliveredAt.UTC()
	return d, nil
}

// ClaimDeliveries implements Store. The claim commits at once: sending
// happens outside any transaction, and the lease keeps other pollers off
// the row meanwhile.
func (s *SQLStore) ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]delivery, error) {
	var out []delivery
	err := s.db.InTxNoHooks(ctx, func(tx *sql.Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries
			WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2 `+s.db.Dialect.SkipLocked,
			now.UTC(), limit)
		if err != nil {
			return fmt.Errorf("claim deliveries: %w", err)
		}
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("claim deliveries: %w", err)
			}
			out = append(out, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			out[i].Claim = uuid.NewString()
			out[i].Attempts++
			out[i].NextAttemptAt = leaseUntil.UTC()
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET attempts = $1, next_attempt_at = $2, claim = $3 WHERE id = $4`,
				out[i].Attempts, out[i].NextAttemptAt, out[i].Claim, out[i].ID); err != nil {
				return fmt.Errorf("claim delivery %s: %w", out[i].ID, err)
			}
		}
		return nil
	})
	return out, err
}

// FinishDelivery implements Store.
func (s *SQLStore) FinishDelivery(ctx context.Context, d delivery, o deliveryOutcome) (bool, error) {
	recorded := false
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		next := o.NextAttemptAt
		if o.State != deliveryPending {
			next = o.At
		}
		var delivered any
		if o.State == deliveryDelivered {
			delivered = o.At.UTC()
		}
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = $1, next_attempt_at = $2,
				last_error = CASE WHEN CAST($3 AS TEXT) = '' THEN last_error ELSE CAST($3 AS TEXT) END, delivered_at = $4, claim = ''
			WHERE id = $5 AND claim = $6 AND state = 'pending'`,
			string(o.State), next.UTC(), o.Error, delivered, d.ID, d.Claim)
		if err != nil {
			return fmt.Errorf("finish delivery %s: %w", d.ID, err)
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		recorded = true
		if o.Sent != nil {
			return addSent(ctx, tx, *o.Sent)
		}
		return nil
	})
	return recorded, err
}

// NextDue implements Store.
func (s *SQLStore) NextDue(ctx context.Context) (time.Time, bool, error) {
	var r, d store.Time
	if err := s.db.QueryRowContext(ctx, `SELECT MIN(due_at) FROM reminders WHERE state = 'pending'`).Scan(&r); err != nil {
		return time.Time{}, false, fmt.Errorf("next reminder: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'pending'`).Scan(&d); err != nil {
		return time.Time{}, false, fmt.Errorf("next delivery: %w", err)
	}
	var rp store.Time
	if err := s.db.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM sms_replies WHERE state = 'pending'`).Scan(&rp); err != nil {
		return time.Time{}, false, fmt.Errorf("next reply: %w", err)
	}
	if rp.Valid && (!d.Valid || rp.Time.Before(d.Time)) {
		d = rp
	}
	switch {
	case r.Valid && d.Valid:
		return minTime(r.Time, d.Time).UTC(), true, nil
	case r.Valid:
		return r.Time.UTC(), true, nil
	case d.Valid:
		return d.Time.UTC(), true, nil
	}
	return time.Time{}, false, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// --- inboxes

const notificationColumns = `id, user_id, kind, tour_id, channel, subject, body, send_at, sent_at, read_at`

func scanNotification(row store.Scanner) (notification, error) {
	var (
		n        notification
		kind, ch string
		readAt   store.Time
	)
	if err := row.Scan(&n.ID, &n.UserID, &kind, &n.TourID, &ch, &n.Subject, &n.Body, &n.SendAt, &n.SentAt, &readAt); err != nil {
		return notification{}, err
	}
	n.Kind, n.Channel = Kind(kind), channel(ch)
	n.SendAt, n.SentAt, n.ReadAt = n.SendAt.UTC(), n.SentAt.UTC(), readAt.UTC()
	return n, nil
}

// Notifications implements Store.
func (s *SQLStore) Notifications(ctx context.Context, userID string, after *inboxPage, limit int) ([]notification, error) {
	query := `SELECT ` + notificationColumns + ` FROM notifications WHERE user_id = $1`
	args := []any{userID}
	if after != nil {
		query += ` AND (sent_at < $2 OR (sent_at = $2 AND id < $3))`
		args = append(args, after.SentAt.UTC(), after.ID)
	}
	query += fmt.Sprintf(` ORDER BY sent_at DESC, id DESC LIMIT $%d`, len(args)+1)
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	var out []notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list notifications: %w", err)
		}
		out = append(out, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	return out, s.attachDeliveries(ctx, out)
}

// attachDeliveries fills in each notification's deliveries (without their
// payloads, which the inbox does not show).
func (s *SQLStore) attachDeliveries(ctx context.Context, ns []notification) error {
	marks := make([]string, len(ns))
	args := make([]any, len(ns))
	index := make(map[string]int, len(ns))
	for i, n := range ns {
		marks[i] = fmt.Sprintf("$%d", i+1)
		args[i] = n.ID
		index[n.ID] = i
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE notification_id IN (`+
		strings.Join(marks, ",")+`) ORDER BY channel, id`, args...)
	if err != nil {
		return fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return fmt.Errorf("list deliveries: %w", err)
		}
		d.Payload, d.Claim = nil, ""
		i := index[d.NotificationID]
		ns[i].Deliveries = append(ns[i].Deliveries, d)
	}
	return rows.Err()
}

// MarkRead implements Store.
func (s *SQLStore) MarkRead(ctx context.Context, userID, id string, at time.Time) (notification, error) {
	var out notification
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND user_id = $3`,
			at.UTC(), id, userID)
		if err != nil {
			return fmt.Errorf("mark read: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errNotFound
		}
		out, err = scanNotification(tx.QueryRowContext(ctx, `SELECT `+notificationColumns+` FROM notifications WHERE id = $1`, id))
		return err
	})
	return out, err
}

// --- webhooks

// PutWebhook implements Store.
func (s *SQLStore) PutWebhook(ctx context.Context, w webhook) (webhook, error) {
	var out webhook
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO webhooks (user_id, url, secret, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
			ON CONFLICT (user_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, updated_at = excluded.updated_at`,
			w.UserID, w.URL, w.Secret, w.UpdatedAt.UTC())
		if err != nil {
			return fmt.Errorf("put webhook: %w", err)
		}
		out, err = s.webhook(ctx, tx, w.UserID)
		return err
	})
	return out, err
}

func (s *SQLStore) webhook(ctx context.Context, q queryer, userID string) (webhook, error) {
	w := webhook{UserID: userID}
	err := q.QueryRowContext(ctx, `SELECT url, secret, created_at, updated_at FROM webhooks WHERE user_id = $1`, userID).
		Scan(&w.URL, &w.Secret, &w.CreatedAt, &w.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return webhook{}, errNoWebhook
	}
	if err != nil {
		return webhook{}, fmt.Errorf("read webhook: %w", err)
	}
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	return w, nil
}

// Webhook implements Store.
func (s *SQLStore) Webhook(ctx context.Context, userID string) (webhook, error) {
	return s.webhook(ctx, s.db, userID)
}

// DeleteWebhook implements Store.
func (s *SQLStore) DeleteWebhook(ctx context.Context, userID string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM webhooks WHERE user_id = $1`, userID)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errNoWebhook
	}
	return nil
}

package tour

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/events"
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
	if err := db.Migrate(ctx, "tour", migrationFiles, "migrations"); err != nil {
		return nil, err
	}
	return &SQLStore{db: db, now: now}, nil
}

// details is the part of a tour kept as JSON.
type details struct {
	Paid         events.Money `json:"paid"`
	Stops        []stopJSON   `json:"stops"`
	AssignmentAt time.Time    `json:"assignment_at"`
	UnassignedAt time.Time    `json:"unassigned_at"`
	CancelReason string       `json:"cancel_reason,omitempty"`
	Refund       events.Money `json:"refund"`
	// Approval (approval.go); the deadline is also the approval_due
	// column, which the worker sweeps.
	ApprovalDue     time.Time      `json:"approval_due,omitzero"`
	Waiting         status         `json:"waiting,omitempty"`
	Declined        []declinedJSON `json:"declined,omitempty"`
	StopsRefunded   events.Money   `json:"stops_refunded,omitzero"`
	NoShowAt        time.Time      `json:"no_show_at,omitzero"`
	FirstAssignedAt time.Time      `json:"first_assigned_at,omitzero"`
}

type declinedJSON struct {
	stopJSON
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

type stopJSON struct {
	ListingID  string          `json:"listing_id"`
	ProviderID string          `json:"provider_id"`
	Title      string          `json:"title"`
	Location   events.GeoPoint `json:"location"`
	Arrive     time.Time       `json:"arrive"`
	Leave      time.Time       `json:"leave"`
	Fee        events.Money    `json:"fee,omitzero"`
	Approval   approval        `json:"approval,omitempty"`
}

const columns = `id, customer_id, payment_id, order_id, status, realtor_id, scheduled_at, ends_at, time_zone, details, version, created_at, updated_at`

// approvalDue is the approval_due column of t: its deadline while it
// awaits approval, NULL otherwise, so the worker's index holds only the
// tours waiting.
func approvalDue(t tour) any {
	if t.Status != statusAwaitingApproval || t.ApprovalDue.IsZero() {
		return nil
	}
	return t.ApprovalDue.UTC()
}

func scanTour(row interface{ Scan(...any) error }) (tour, error) {
	var (
		t   tour
		raw string
		d   details
	)
	err := row.Scan(&t.ID, &t.CustomerID, &t.PaymentID, &t.OrderID, &t.Status, &t.RealtorID, &t.ScheduledAt, &t.EndsAt,
		&t.TimeZone, &raw, &t.Version, &t.CreatedAt, &t.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return tour{}, errNotFound
	}
	if err != nil {
		return tour{}, fmt.Errorf("read tour: %w", err)
	}
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return tour{}, fmt.Errorf("read tour %s: %w", t.ID, err)
	}
	t.Paid, t.AssignmentAt, t.UnassignedAt, t.CancelReason, t.Refund = d.Paid, d.AssignmentAt, d.UnassignedAt, d.CancelReason, d.Refund
	t.ApprovalDue, t.Waiting, t.StopsRefunded = d.ApprovalDue.UTC(), d.Waiting, d.StopsRefunded
	if !d.NoShowAt.IsZero() {
		t.NoShowAt = d.NoShowAt.UTC()
	}
	if !d.FirstAssignedAt.IsZero() {
		t.FirstAssignedAt = d.FirstAssignedAt.UTC()
	}
	for _, s := range d.Stops {
		t.Stops = append(t.Stops, stop(s))
	}
	for _, s := range d.Declined {
		t.Declined = append(t.Declined, declinedStop{stop: stop(s.stopJSON), Reason: s.Reason, At: s.At.UTC()})
	}
	t.ScheduledAt, t.EndsAt, t.CreatedAt, t.UpdatedAt = t.ScheduledAt.UTC(), t.EndsAt.UTC(), t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return t, nil
}

func detailsOf(t tour) (string, error) {
	d := details{Paid: t.Paid, AssignmentAt: t.AssignmentAt, UnassignedAt: t.UnassignedAt, CancelReason: t.CancelReason, Refund: t.Refund,
		ApprovalDue: t.ApprovalDue, Waiting: t.Waiting, StopsRefunded: t.StopsRefunded, NoShowAt: t.NoShowAt,
		FirstAssignedAt: t.FirstAssignedAt}
	for _, s := range t.Stops {
		d.Stops = append(d.Stops, stopJSON(s))
	}
	for _, s := range t.Declined {
		d.Declined = append(d.Declined, declinedJSON{stopJSON: stopJSON(s.stop), Reason: s.Reason, At: s.At})
	}
	raw, err := json.Marshal(d)
	return string(raw), err
}

// Create implements Store.
func (s *SQLStore) Create(ctx context.Context, t tour, evs ...bus.Event) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := insertTour(ctx, tx, t); err != nil {
			return err
		}
		return outbox.AddAll(ctx, tx, evs)
	})
	if errors.Is(err, store.ErrConflict) {
		return errAlreadyExists
	}
	return err
}

func insertTour(ctx context.Context, tx *sql.Tx, t tour) error {
	raw, err := detailsOf(t)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO tours (`+columns+`, approval_due) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		t.ID, t.CustomerID, t.PaymentID, t.OrderID, t.Status, t.RealtorID, t.ScheduledAt.UTC(), t.EndsAt.UTC(), t.TimeZone, raw,
		t.Version, t.CreatedAt.UTC(), t.UpdatedAt.UTC(), approvalDue(t))
	if err != nil {
		return err
	}
	for _, st := range t.Stops {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tour_stops (tour_id, listing_id, provider_id) VALUES ($1, $2, $3)`,
			t.ID, st.ListingID, st.ProviderID); err != nil {
			return err
		}
	}
	return nil
}

const orderColumns = `id, placed, payment_id, paid_amount, paid_currency, state, updated_at`

// ChangeOrder implements Store.
func (s *SQLStore) ChangeOrder(ctx context.Context, eventID, orderID string, change func(o *order) (*tour, []bus.Event, error)) error {
	err := outbox.Once(ctx, s.db, "tour.order", eventID, s.now, func(tx *sql.Tx) error {
		if err := s.db.LockKey(ctx, tx, "order:"+orderID); err != nil {
			return err
		}
		var (
			o      = order{ID: orderID}
			placed string
			known  = true
		)
		err := tx.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, orderID).
			Scan(&o.ID, &placed, &o.PaymentID, &o.Paid.Amount, &o.Paid.Currency, &o.State, &o.UpdatedAt)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			known = false
		case err != nil:
			return fmt.Errorf("read order %s: %w", orderID, err)
		case placed != "":
			o.Placed = new(events.OrderPlaced)
			if err := json.Unmarshal([]byte(placed), o.Placed); err != nil {
				return fmt.Errorf("read order %s: %w", orderID, err)
			}
		}
		t, evs, err := change(&o)
		if err != nil {
			return err
		}
		if o.State == "" {
			return nil // nothing learnt
		}
		placed = ""
		if o.Placed != nil {
			raw, err := json.Marshal(o.Placed)
			if err != nil {
				return err
			}
			placed = string(raw)
		}
		if known {
			_, err = tx.ExecContext(ctx, `UPDATE orders SET placed = $1, payment_id = $2, paid_amount = $3, paid_currency = $4, state = $5, updated_at = $6 WHERE id = $7`,
				placed, o.PaymentID, o.Paid.Amount, o.Paid.Currency, o.State, o.UpdatedAt.UTC(), o.ID)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO orders (`+orderColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				o.ID, placed, o.PaymentID, o.Paid.Amount, o.Paid.Currency, o.State, o.UpdatedAt.UTC())
		}
		if err != nil {
			return fmt.Errorf("save order %s: %w", orderID, err)
		}
		if t != nil {
			if err := insertTour(ctx, tx, *t); err != nil {
				return err
			}
		}
		return outbox.AddAll(ctx, tx, evs)
	})
	if errors.Is(err, store.ErrConflict) {
		return errAlreadyExists
	}
	return err
}

// Get implements Store.
func (s *SQLStore) Get(ctx context.Context, id string) (tour, error) {
	return scanTour(s.db.QueryRowContext(ctx, `SELECT `+columns+` FROM tours WHERE id = $1`, id))
}

// Update implements Store.
func (s *SQLStore) Update(ctx context.Context, id, eventID string, change func(t *tour) ([]bus.Event, error)) (tour, error) {
	var out tour
	apply := func(tx *sql.Tx) error {
		t, err := scanTour(tx.QueryRowContext(ctx, `SELECT `+columns+` FROM tours WHERE id = $1 `+s.db.Dialect.ForUpdate, id))
		if err != nil {
			return err
		}
		version, before := t.Version, t.ListingIDs()
		evs, err := change(&t)
		if err != nil {
			return err
		}
		out = t
		if t.Version == version {
			return nil // nothing changed
		}
		raw, err := detailsOf(t)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE tours SET status = $1, realtor_id = $2, scheduled_at = $3, ends_at = $4, details = $5, version = $6, updated_at = $7, approval_due = $8 WHERE id = $9`,
			t.Status, t.RealtorID, t.ScheduledAt.UTC(), t.EndsAt.UTC(), raw, t.Version, t.UpdatedAt.UTC(), approvalDue(t), t.ID)
		if err != nil {
			return fmt.Errorf("save tour: %w", err)
		}
		if err := dropLeftStops(ctx, tx, before, t); err != nil {
			return err
		}
		return outbox.AddAll(ctx, tx, evs)
	}
	if eventID == "" {
		return out, s.db.InTx(ctx, apply)
	}
	return out, outbox.Once(ctx, s.db, "tour", eventID, s.now, apply)
}

// List implements Store.
func (s *SQLStore) List(ctx context.Context, f filter, after cursor, limit int) ([]tour, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.CustomerID != "" {
		where = append(where, "customer_id = "+arg(f.CustomerID))
	}
	if f.RealtorID != "" {
		where = append(where, "realtor_id = "+arg(f.RealtorID))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(f.Status))
	}
	if f.OrderID != "" {
		where = append(where, "order_id = "+arg(f.OrderID))
	}
	if after.ID != "" {
		a, i := arg(after.ScheduledAt.UTC()), arg(after.ID)
		where = append(where, "(scheduled_at > "+a+" OR (scheduled_at = "+a+" AND id > "+i+"))")
	}
	q := `SELECT ` + columns + ` FROM tours`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY scheduled_at, id LIMIT ` + arg(limit)
	return s.query(ctx, q, args...)
}

func (s *SQLStore) query(ctx context.Context, q string, args ...any) ([]tour, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list tours: %w", err)
	}
	defer rows.Close()
	var out []tour
	for rows.Next() {
		t, err := scanTour(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *SQLStore) ids(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// dropLeftStops forgets the homes that left the tour (declined by their
// providers), so a removed listing or a suspended provider no longer
// finds it.
func dropLeftStops(ctx context.Context, tx *sql.Tx, before []string, t tour) error {
	for _, id := range before {
		if slices.Contains(t.ListingIDs(), id) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tour_stops WHERE tour_id = $1 AND listing_id = $2`, t.ID, id); err != nil {
			return fmt.Errorf("drop stop %s of tour %s: %w", id, t.ID, err)
		}
	}
	return nil
}

const activeStatuses = `('pending', 'scheduled', 'unassigned', 'awaiting_approval')`

// ActiveWithListing implements Store.
func (s *SQLStore) ActiveWithListing(ctx context.Context, listingID string, now time.Time) ([]string, error) {
	return s.ids(ctx, `SELECT t.id FROM tours t JOIN tour_stops st ON st.tour_id = t.id
		WHERE st.listing_id = $1 AND t.status IN `+activeStatuses+` AND t.scheduled_at > $2 ORDER BY t.id`, listingID, now.UTC())
}

// ActiveWithProvider implements Store.
func (s *SQLStore) ActiveWithProvider(ctx context.Context, providerID string, now time.Time) ([]string, error) {
	return s.ids(ctx, `SELECT DISTINCT t.id FROM tours t JOIN tour_stops st ON st.tour_id = t.id
		WHERE st.provider_id = $1 AND t.status IN `+activeStatuses+` AND t.scheduled_at > $2 ORDER BY t.id`, providerID, now.UTC())
}

// Due implements Store.
func (s *SQLStore) Due(ctx context.Context, now time.Time, limit int) ([]tour, error) {
	return s.query(ctx, `SELECT `+columns+` FROM tours WHERE (status = 'scheduled' AND ends_at <= $1) OR status = 'unassigned'
		OR approval_due <= $1 ORDER BY ends_at LIMIT $2`, now.UTC(), limit)
}

// NextApprovalDue implements Store.
func (s *SQLStore) NextApprovalDue(ctx context.Context) (time.Time, bool, error) {
	var next store.Time
	if err := s.db.QueryRowContext(ctx, `SELECT MIN(approval_due) FROM tours WHERE approval_due IS NOT NULL`).Scan(&next); err != nil {
		return time.Time{}, false, fmt.Errorf("next approval deadline: %w", err)
	}
	return next.Time, next.Valid, nil
}

// AwaitingApproval implements Store.
func (s *SQLStore) AwaitingApproval(ctx context.Context, providerID string, after cursor, limit int) ([]tour, error) {
	args := []any{after.ScheduledAt.UTC(), after.ID, limit}
	q := `SELECT ` + columns + ` FROM tours t WHERE t.status = 'awaiting_approval'
		AND (t.scheduled_at > $1 OR (t.scheduled_at = $1 AND t.id > $2))`
	if providerID != "" {
		args = append(args, providerID)
		q += ` AND EXISTS (SELECT 1 FROM tour_stops st WHERE st.tour_id = t.id AND st.provider_id = $4)`
	}
	return s.query(ctx, q+` ORDER BY t.scheduled_at, t.id LIMIT $3`, args...)
}

// Unassigned returns how many tours wait for a realtor and when the
// oldest of them was created, for the service's gauges.
func (s *SQLStore) Unassigned(ctx context.Context) (int, time.Time, error) {
	var (
		n     int
		first store.Time
	)
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM tours WHERE status = 'unassigned'`).Scan(&n, &first)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count unassigned tours: %w", err)
	}
	if !first.Valid {
		return n, time.Time{}, nil
	}
	return n, first.Time, nil
}

// SaveRealtor implements Store.
func (s *SQLStore) SaveRealtor(ctx context.Context, r realtorName) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.db.LockKey(ctx, tx, "realtor:"+r.ID); err != nil {
			return err
		}
		var kept time.Time
		err := tx.QueryRowContext(ctx, `SELECT changed_at FROM realtors WHERE id = $1`, r.ID).Scan(&kept)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("read realtor %s: %w", r.ID, err)
		case !r.ChangedAt.After(kept):
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO realtors (id, name, changed_at) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, changed_at = excluded.changed_at`,
			r.ID, r.Name, r.ChangedAt.UTC())
		if err != nil {
			return fmt.Errorf("write realtor %s: %w", r.ID, err)
		}
		return nil
	})
}

// RealtorNames implements Store.
func (s *SQLStore) RealtorNames(ctx context.Context, ids []string) (map[string]string, error) {
	names := map[string]string{}
	if len(ids) == 0 {
		return names, nil
	}
	var (
		marks []string
		args  []any
		seen  = map[string]bool{}
	)
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			args = append(args, id)
			marks = append(marks, fmt.Sprintf("$%d", len(args)))
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name FROM realtors WHERE id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read realtor names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		names[id] = name
	}
	return names, rows.Err()
}

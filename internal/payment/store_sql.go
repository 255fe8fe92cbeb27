package payment

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/idempotency"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// SQLStore is the Store on SQLite or PostgreSQL.
type SQLStore struct {
	db   *store.DB
	keys idempotency.Table
}

// NewSQLStore migrates db (the payment tables, then the shared
// idempotency_keys table, which payment's first migration made already;
// the outbox is the app's to migrate) and returns a store on it.
func NewSQLStore(ctx context.Context, db *store.DB) (*SQLStore, error) {
	if err := db.Migrate(ctx, "payment", migrationFiles, "migrations"); err != nil {
		return nil, err
	}
	if err := idempotency.Migrate(ctx, db); err != nil {
		return nil, err
	}
	return &SQLStore{db: db, keys: idempotency.NewTable(db)}, nil
}

const paymentColumns = `id, customer_id, order_id, amount, currency, refunded, status, method, gateway_ref,
	idempotency_key, failure_reason, listing_ids, scheduled_at, created_at, updated_at`

const refundColumns = `id, payment_id, amount, currency, status, reason, requested_by, gateway_ref, created_at, updated_at`

func scanPayment(row store.Scanner) (payment, error) {
	var p payment
	var listings string
	err := row.Scan(&p.ID, &p.CustomerID, &p.OrderID, &p.Amount.Amount, &p.Amount.Currency, &p.Refunded.Amount,
		&p.Status, &p.Method, &p.GatewayRef, &p.IdempotencyKey, &p.FailureReason, &listings,
		&p.ScheduledAt, &p.CreatedAt, &p.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return payment{}, fmt.Errorf("payment: %w", store.ErrNotFound)
	}
	if err != nil {
		return payment{}, fmt.Errorf("read payment: %w", err)
	}
	if err := json.Unmarshal([]byte(listings), &p.ListingIDs); err != nil {
		return payment{}, fmt.Errorf("read payment %s listing ids: %w", p.ID, err)
	}
	p.Refunded.Currency = p.Amount.Currency
	p.ScheduledAt, p.CreatedAt, p.UpdatedAt = p.ScheduledAt.UTC(), p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, nil
}

func paymentArgs(p payment) ([]any, error) {
	listings, err := json.Marshal(p.ListingIDs)
	if err != nil {
		return nil, err
	}
	if p.Refunded.Currency != "" && p.Refunded.Currency != p.Amount.Currency {
		return nil, fmt.Errorf("payment %s: refunded in %s, charged in %s", p.ID, p.Refunded.Currency, p.Amount.Currency)
	}
	return []any{p.ID, p.CustomerID, p.OrderID, p.Amount.Amount, p.Amount.Currency, p.Refunded.Amount,
		string(p.Status), p.Method, p.GatewayRef, p.IdempotencyKey, p.FailureReason, string(listings),
		p.ScheduledAt.UTC(), p.CreatedAt.UTC(), p.UpdatedAt.UTC()}, nil
}

func scanRefund(row store.Scanner) (Refund, error) {
	var r Refund
	err := row.Scan(&r.ID, &r.PaymentID, &r.Amount.Amount, &r.Amount.Currency, &r.Status, &r.Reason,
		&r.RequestedBy, &r.GatewayRef, &r.CreatedAt, &r.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Refund{}, fmt.Errorf("refund: %w", store.ErrNotFound)
	}
	if err != nil {
		return Refund{}, fmt.Errorf("read refund: %w", err)
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return r, nil
}

func refundArgs(r Refund) []any {
	return []any{r.ID, r.PaymentID, r.Amount.Amount, r.Amount.Currency, string(r.Status), r.Reason,
		r.RequestedBy, r.GatewayRef, r.CreatedAt.UTC(), r.UpdatedAt.UTC()}
}

// placeholders returns "$1, $2, ..., $n".
func placeholders(n int) string {
	marks := make([]string, n)
	for i := range marks {
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	return strings.Join(marks, ", ")
}

// Update implements Store.
func (s *SQLStore) Update(ctx context.Context, fn func(tx storeTx) error) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		return fn(&sqlTx{ctx: ctx, tx: tx, forUpdate: s.db.Dialect.ForUpdate, keys: s.keys})
	})
}

type sqlTx struct {
	ctx       context.Context
	tx        *sql.Tx
	forUpdate string
	keys      idempotency.Table
}

func (t *sqlTx) Payment(id string) (payment, error) {
	return scanPayment(t.tx.QueryRowContext(t.ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = $1 `+t.forUpdate, id))
}

func (t *sqlTx) CreatePayment(p payment) error {
	args, err := paymentArgs(p)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(t.ctx, `INSERT INTO payments (`+paymentColumns+`) VALUES (`+placeholders(len(args))+`)`, args...)
	if err != nil {
		return fmt.Errorf("create payment: %w", err)
	}
	return nil
}

func (t *sqlTx) SavePayment(p payment) error {
	args, err := paymentArgs(p)
	if err != nil {
		return err
	}
	res, err := t.tx.ExecContext(t.ctx, `UPDATE payments SET customer_id = $2, order_id = $3, amount = $4, currency = $5,
		refunded = $6, status = $7, method = $8, gateway_ref = $9, idempotency_key = $10, failure_reason = $11,
		listing_ids = $12, scheduled_at = $13, created_at = $14, updated_at = $15 WHERE id = $1`, args...)
	return affectedOne(res, err, "save payment")
}

func (t *sqlTx) Refund(id string) (Refund, error) {
	return scanRefund(t.tx.QueryRowContext(t.ctx, `SELECT `+refundColumns+` FROM refunds WHERE id = $1 `+t.forUpdate, id))
}

func (t *sqlTx) CreateRefund(r Refund) error {
	args := refundArgs(r)
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO refunds (`+refundColumns+`) VALUES (`+placeholders(len(args))+`)`, args...)
	if err != nil {
		return fmt.Errorf("create refund: %w", err)
	}
	return nil
}

func (t *sqlTx) SaveRefund(r Refund) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE refunds SET payment_id = $2, amount = $3, currency = $4, status = $5,
		reason = $6, requested_by = $7, gateway_ref = $8, created_at = $9, updated_at = $10 WHERE id = $1`, refundArgs(r)...)
	return affectedOne(res, err, "save refund")
}

func (t *sqlTx) PendingRefunds(paymentID string) (int64, error) {
	var sum int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE payment_id = $1 AND status = 'pending'`,
		paymentID).Scan(&sum)
	if err != nil {
		return 0, fmt.Errorf("sum pending refunds: %w", err)
	}
	return sum, nil
}

func (t *sqlTx) Key(scope, key string) (keyRecord, error) { return t.keys.Get(t.ctx, t.tx, scope, key) }

func (t *sqlTx) CreateKey(k keyRecord) error { return t.keys.Create(t.ctx, t.tx, k) }

func (t *sqlTx) SaveKey(k keyRecord) error { return t.keys.Save(t.ctx, t.tx, k) }

func (t *sqlTx) Publish(evs ...bus.Event) error {
	for _, ev := range evs {
		if err := outbox.Add(t.ctx, t.tx, ev); err != nil {
			return err
		}
	}
	return nil
}

func affectedOne(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}

// Payment implements Store.
func (s *SQLStore) Payment(ctx context.Context, id string) (payment, error) {
	return scanPayment(s.db.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = $1`, id))
}

// Payments implements Store.
func (s *SQLStore) Payments(ctx context.Context, q query) ([]payment, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if q.Status != "" {
		where = append(where, "status = "+arg(string(q.Status)))
	}
	if q.CustomerID != "" {
		where = append(where, "customer_id = "+arg(q.CustomerID))
	}
	if q.After != nil {
		at := arg(q.After.CreatedAt.UTC())
		where = append(where, "(created_at < "+at+" OR (created_at = "+at+" AND id < "+arg(q.After.ID)+"))")
	}
	query := `SELECT ` + paymentColumns + ` FROM payments`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY created_at DESC, id DESC LIMIT " + arg(q.Limit)
	return s.payments(ctx, query, args...)
}

func (s *SQLStore) payments(ctx context.Context, query string, args ...any) ([]payment, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	out, err := store.ScanAll(rows, err, scanPayment)
	if err != nil {
		return nil, fmt.Errorf("list payments: %w", err)
	}
	return out, nil
}

// Refunds implements Store.
func (s *SQLStore) Refunds(ctx context.Context, paymentID string) ([]Refund, error) {
	return s.refunds(ctx, `SELECT `+refundColumns+` FROM refunds WHERE payment_id = $1 ORDER BY created_at, id`, paymentID)
}

func (s *SQLStore) refunds(ctx context.Context, query string, args ...any) ([]Refund, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	out, err := store.ScanAll(rows, err, scanRefund)
	if err != nil {
		return nil, fmt.Errorf("list refunds: %w", err)
	}
	return out, nil
}

// StalePayments implements Store.
func (s *SQLStore) StalePayments(ctx context.Context, before, notBefore time.Time, limit int) ([]payment, error) {
	return s.payments(ctx, `SELECT `+paymentColumns+` FROM payments
		WHERE status = 'pending' AND updated_at < $1 AND created_at > $2 ORDER BY updated_at, id LIMIT $3`,
		before.UTC(), notBefore.UTC(), limit)
}

// StaleRefunds implements Store.
func (s *SQLStore) StaleRefunds(ctx context.Context, before time.Time, limit int) ([]Refund, error) {
	return s.refunds(ctx, `SELECT `+refundColumns+` FROM refunds
		WHERE status = 'pending' AND updated_at < $1 ORDER BY updated_at, id LIMIT $2`, before.UTC(), limit)
}

// PruneKeys implements Store. Records still in flight are kept: their
// payment is pending, and a retry must find it rather than start another.
func (s *SQLStore) PruneKeys(ctx context.Context, before time.Time) (int, error) {
	return s.keys.Prune(ctx, before, time.Time{})
}

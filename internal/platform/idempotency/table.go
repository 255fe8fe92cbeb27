package idempotency

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate makes the idempotency_keys table in a service's database (its
// own migration set, goose_idempotency_version). A service whose own
// migrations copy records into the table runs it first.
func Migrate(ctx context.Context, db *store.DB) error {
	return db.Migrate(ctx, "idempotency", migrationFiles, "migrations")
}

// Table is a service's idempotency_keys table. Its methods that take a
// transaction run inside the service's own, beside the service's writes,
// so a record and the effect it guards commit together.
type Table struct{ db *store.DB }

// NewTable returns the table of db (migrated by Migrate).
func NewTable(db *store.DB) Table { return Table{db: db} }

const columns = `scope, idem_key, request_hash, resource_id, lease_until, status_code, content_type, response, created_at, completed_at`

// Get reads the record of (scope, key) and locks it until tx ends (on
// PostgreSQL FOR UPDATE; SQLite transactions here are exclusive). A
// missing record is an error wrapping store.ErrNotFound.
func (t Table) Get(ctx context.Context, tx *sql.Tx, scope, key string) (Record, error) {
	var (
		r                Record
		lease, completed store.Time
		status           sql.NullInt64
		contentType      sql.NullString
		body             []byte
	)
	err := tx.QueryRowContext(ctx, `SELECT `+columns+` FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 `+t.db.Dialect.ForUpdate,
		scope, key).Scan(&r.Scope, &r.Key, &r.RequestHash, &r.ResourceID, &lease, &status, &contentType, &body, &r.CreatedAt, &completed)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, fmt.Errorf("idempotency key: %w", store.ErrNotFound)
	}
	if err != nil {
		return Record{}, fmt.Errorf("read idempotency key: %w", err)
	}
	r.LeaseUntil, r.CompletedAt, r.CreatedAt = lease.UTC(), completed.UTC(), r.CreatedAt.UTC()
	if status.Valid {
		r.Answer = &Answer{Status: int(status.Int64), ContentType: contentType.String, Body: body}
	}
	return r, nil
}

// Create adds r; an error wrapping store.ErrConflict if (scope, key)
// exists (on PostgreSQL tx is then aborted: the caller returns).
func (t Table) Create(ctx context.Context, tx *sql.Tx, r Record) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (`+columns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, args(r)...)
	if err != nil {
		return fmt.Errorf("create idempotency key: %w", t.db.Translate(err))
	}
	return nil
}

// Save writes r over its record; an error wrapping store.ErrNotFound if
// there is none.
func (t Table) Save(ctx context.Context, tx *sql.Tx, r Record) error {
	res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET request_hash = $3, resource_id = $4, lease_until = $5,
		status_code = $6, content_type = $7, response = $8, created_at = $9, completed_at = $10
		WHERE scope = $1 AND idem_key = $2`, args(r)...)
	if err != nil {
		return fmt.Errorf("save idempotency key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("save idempotency key %q: %w", r.Key, errors.Join(err, store.ErrNotFound))
	}
	return nil
}

// Delete removes the record of (scope, key), if any.
func (t Table) Delete(ctx context.Context, tx *sql.Tx, scope, key string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2`, scope, key); err != nil {
		return fmt.Errorf("delete idempotency key: %w", err)
	}
	return nil
}

// Prune sweeps the records created before answeredBefore that hold an
// answer and, unless abandonedBefore is zero, the unanswered ones whose
// lease ended before abandonedBefore (a service whose in-flight work is
// resumed by something else, as payment's is, keeps those: a retry must
// find its resource rather than make another). It reports how many went.
func (t Table) Prune(ctx context.Context, answeredBefore, abandonedBefore time.Time) (int, error) {
	res, err := t.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE
		(status_code IS NOT NULL AND created_at < $1) OR (status_code IS NULL AND lease_until < $2)`,
		answeredBefore.UTC(), store.NullTime(abandonedBefore))
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func args(r Record) []any {
	var status, contentType, body any
	if r.Answer != nil {
		status, contentType, body = r.Answer.Status, r.Answer.ContentType, r.Answer.Body
	}
	return []any{r.Scope, r.Key, r.RequestHash, r.ResourceID, store.NullTime(r.LeaseUntil), status, contentType, body,
		r.CreatedAt.UTC(), store.NullTime(r.CompletedAt)}
}

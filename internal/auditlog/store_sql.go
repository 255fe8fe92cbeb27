package auditlog

import (
	"context"
	"embed"
	"fmt"
	"strings"

	"github.com/openhouse/openhouse/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// SQLStore is the Store on SQLite or PostgreSQL.
type SQLStore struct {
	db *store.DB
}

// NewSQLStore migrates db (the migration set "audit") and returns a store
// on it.
func NewSQLStore(ctx context.Context, db *store.DB) (*SQLStore, error) {
	if err := db.Migrate(ctx, "audit", migrationFiles, "migrations"); err != nil {
		return nil, err
	}
	return &SQLStore{db: db}, nil
}

const columns = `id, service, actor_id, actor_role, actor_service, action, resource_type, resource_id,
	before_state, after_state, at, request_id, trace_id`

// Put implements Store.
func (s *SQLStore) Put(ctx context.Context, e Entry) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit_entries (`+columns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING`,
		e.ID, e.Service, e.ActorID, e.ActorRole, e.ActorService, e.Action, e.ResourceType, e.ResourceID,
		jsonOrNull(e.Before), jsonOrNull(e.After), e.At.UTC(), e.RequestID, e.TraceID)
	if err != nil {
		return fmt.Errorf("put audit entry %s: %w", e.ID, err)
	}
	return nil
}

// Entries implements Store.
func (s *SQLStore) Entries(ctx context.Context, f Filter, after Cursor, limit int) ([]Entry, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	for col, v := range map[string]string{"actor_id": f.ActorID, "action": f.Action,
		"resource_type": f.ResourceType, "resource_id": f.ResourceID} {
		if v != "" {
			where = append(where, col+" = "+arg(v))
		}
	}
	if !f.Since.IsZero() {
		where = append(where, "at >= "+arg(f.Since.UTC()))
	}
	if !f.Until.IsZero() {
		where = append(where, "at < "+arg(f.Until.UTC()))
	}
	if after.ID != "" {
		a, i := arg(after.At.UTC()), arg(after.ID)
		where = append(where, "(at < "+a+" OR (at = "+a+" AND id < "+i+"))")
	}
	query := `SELECT ` + columns + ` FROM audit_entries`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY at DESC, id DESC LIMIT ` + arg(limit)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("audit entries: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var (
			e             Entry
			before, after string
		)
		if err := rows.Scan(&e.ID, &e.Service, &e.ActorID, &e.ActorRole, &e.ActorService, &e.Action,
			&e.ResourceType, &e.ResourceID, &before, &after, &e.At, &e.RequestID, &e.TraceID); err != nil {
			return nil, fmt.Errorf("audit entries: %w", err)
		}
		e.Before, e.After, e.At = []byte(before), []byte(after), e.At.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

var _ Store = (*SQLStore)(nil)

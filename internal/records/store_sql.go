package records

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// inboxKey names the events Put has applied in the inbox. It was set when
// the records were iam's; a new key would apply every event again.
const inboxKey = "iam.records"

// SQLStore is the Store on SQLite or PostgreSQL.
type SQLStore struct {
	db  *store.DB
	now func() time.Time
}

// NewSQLStore migrates db (the migration set "records") and returns a
// store on it; db's outbox tables (its inbox) must be migrated. now stamps
// inbox rows.
func NewSQLStore(ctx context.Context, db *store.DB, now func() time.Time) (*SQLStore, error) {
	if err := db.Migrate(ctx, "records", migrationFiles, "migrations"); err != nil {
		return nil, err
	}
	return &SQLStore{db: db, now: now}, nil
}

// Put implements Store. The inbox row and the records commit together.
func (s *SQLStore) Put(ctx context.Context, eventID string, recs []Record) error {
	return outbox.Once(ctx, s.db, inboxKey, eventID, s.now, func(tx *sql.Tx) error {
		for _, r := range recs {
			_, err := tx.ExecContext(ctx, `INSERT INTO user_records (user_id, kind, ref_id, summary, changed_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (user_id, kind, ref_id) DO UPDATE SET summary = excluded.summary, changed_at = excluded.changed_at
				WHERE excluded.changed_at >= user_records.changed_at`,
				r.UserID, r.Kind, r.RefID, string(r.Summary), r.ChangedAt.UTC())
			if err != nil {
				return fmt.Errorf("put record: %w", err)
			}
		}
		return nil
	})
}

// Of implements Store.
func (s *SQLStore) Of(ctx context.Context, userID string, limit int) ([]Record, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT user_id, kind, ref_id, summary, changed_at FROM user_records
		WHERE user_id = $1 ORDER BY changed_at DESC, ref_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	defer rows.Close()
	var out []Record
	perKind := map[Kind]int{}
	for rows.Next() {
		var (
			r       Record
			summary string
		)
		if err := rows.Scan(&r.UserID, &r.Kind, &r.RefID, &summary, &r.ChangedAt); err != nil {
			return nil, fmt.Errorf("records: %w", err)
		}
		if perKind[r.Kind] >= limit {
			continue
		}
		perKind[r.Kind]++
		r.Summary = json.RawMessage(summary)
		r.ChangedAt = r.ChangedAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

var _ Store = (*SQLStore)(nil)

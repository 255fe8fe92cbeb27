package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/platform/store"
)

// PendingIn counts the rows of a database snapshot that wait to be
// published: the events a restore of it will publish first.
func PendingIn(ctx context.Context, s *store.Snapshot) (int, error) {
	var n int
	if err := s.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE state = 'pending'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox: pending rows of %s: %w", s.Name(), err)
	}
	return n, nil
}

// RestartRetention makes a restored database remember the events it has
// applied for the full retention from now. The inbox is what drops an
// event delivered twice, and a restore delivers again what was in flight
// when the backup was taken (docs/operations.md); without this, a backup
// older than the retention would lose those inbox rows to the relay's first
// prune and apply the redeliveries a second time.
func RestartRetention(ctx context.Context, db *store.DB, now time.Time) error {
	if _, err := db.ExecContext(ctx, `UPDATE inbox SET processed_at = $1 WHERE processed_at < $1`, now.UTC()); err != nil {
		return fmt.Errorf("outbox: restart the inbox retention of %s: %w", db.Namespace, err)
	}
	return nil
}

package iam

import (
	"context"
	"database/sql"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox"
)

// AddAudit implements Store.
func (s *SQLStore) AddAudit(ctx context.Context, events ...bus.Event) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error { return outbox.AddAll(ctx, tx, events) })
}

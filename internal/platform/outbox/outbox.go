// Package outbox makes "change state and announce it" one atomic step. A
// service writes its event into its own outbox table in the transaction that
// changes its state; a Relay publishes pending rows to the bus afterwards.
// Consumers wrap handlers in Inbox so that redelivered events change nothing.
// Together: at-least-once on the wire, exactly-once in effect, and no event
// lost when a process dies between any two steps.
package outbox

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate creates or updates the outbox and inbox tables in db.
func Migrate(ctx context.Context, db *store.DB) error {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	return db.Migrate(ctx, "outbox", sub)
}

// Add records ev in the outbox as part of tx. It is published once tx
// commits; if tx rolls back, the event never existed.
func Add(ctx context.Context, tx *sql.Tx, ev bus.Event) error {
	payload, err := bus.Encode(ev)
	if err != nil {
		return fmt.Errorf("outbox: encode %s: %w", ev.Type(), err)
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO outbox (event_id, type, payload, state, created_at) VALUES ($1, $2, $3, 'pending', $4)`,
		ev.ID(), ev.Type(), payload, ev.Time().UTC())
	if err != nil {
		return fmt.Errorf("outbox: add %s: %w", ev.Type(), err)
	}
	return nil
}

package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// TxHandler applies an event inside the transaction that records it as
// processed. It may also Add events to the outbox in that transaction.
type TxHandler func(ctx context.Context, tx *sql.Tx, ev bus.Event) error

// Inbox turns a TxHandler into a bus.Handler that applies each event at most
// once per handler name: the event id is inserted into the inbox in the same
// transaction as the handler's writes, so a redelivery (after a crash, a lost
// ack or a replay) finds it there and does nothing. Concurrent deliveries of
// one event to two instances are serialised by the inbox's primary key.
func Inbox(db *store.DB, handler string, now func() time.Time, h TxHandler) bus.Handler {
	return func(ctx context.Context, ev bus.Event) error {
		return Once(ctx, db, handler, ev.ID(), now, func(tx *sql.Tx) error { return h(ctx, tx, ev) })
	}
}

// Once runs apply in a transaction unless handler has already applied
// eventID: the inbox row and apply's writes commit together. It is Inbox
// for code that has an event id rather than a whole event.
//
// The transaction may be shared with other events' (store.InGroupTx: the
// consumers waiting for a SQLite writer together commit once), each event
// in a savepoint with its own inbox row; events about one thing never share
// one, since the bus hands a consumer the next event about a thing only
// after the previous one returned. apply may run again after a failed
// attempt, as a redelivery would run it.
func Once(ctx context.Context, db *store.DB, handler, eventID string, now func() time.Time, apply func(tx *sql.Tx) error) error {
	return db.InGroupTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO inbox (handler, event_id, processed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			handler, eventID, now().UTC())
		if err != nil {
			return fmt.Errorf("inbox %s: %w", handler, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("inbox %s: %w", handler, err)
		} else if n == 0 {
			return nil // applied before
		}
		return apply(tx)
	})
}

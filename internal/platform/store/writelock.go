package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// writerWait bounds how long a write waits for the SQLite writer, the same
// bound as busy_timeout (see openSQLite): a transaction that holds the
// writer longer than this is a bug, and the waiter gets an error instead of
// hanging.
const writerWait = 10 * time.Second

// writeLock hands SQLite's single writer to one transaction at a time, in
// the order they asked (a channel's waiters are served first in, first
// out). Without it, writers that find the file locked fall back on SQLite's
// busy handler, which sleeps 1, 2, 5, ... up to 100 ms between attempts
// whether or not the lock was freed meanwhile: a write far shorter than
// those sleeps waits them out, and the waits add up along the booking saga
// (docs/performance.md). Queueing in Go wakes the next writer the moment the
// previous one commits. PostgreSQL has row locks and needs none (nil).
//
// It serialises the writers of one *DB. Another handle on the same file
// (another process, a test opening the file twice) still meets SQLite's own
// lock and busy_timeout, so correctness never depends on this: it only
// decides how fast waiters get their turn.
type writeLock chan struct{}

func newWriteLock() writeLock { return make(writeLock, 1) }

// acquire waits for the writer, at most writerWait or until ctx ends.
func (l writeLock) acquire(ctx context.Context, namespace string) error {
	if l == nil {
		return nil
	}
	select {
	case l <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(writerWait) // the bound on waiting, not a pause
	defer t.Stop()
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("store: wait for the %s writer: %w", namespace, ctx.Err())
	case <-t.C:
		return fmt.Errorf("store: the %s writer was busy for %s: database is locked", namespace, writerWait)
	}
}

func (l writeLock) release() {
	if l != nil {
		<-l
	}
}

// ExecContext runs a statement outside a transaction. On SQLite it takes
// the writer first (see writeLock), since such statements write; reads go
// through QueryContext, which WAL lets run beside the writer.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := db.writer.acquire(ctx, db.Namespace); err != nil {
		return nil, err
	}
	defer db.writer.release()
	res, err := db.DB.ExecContext(ctx, query, args...)
	if err == nil {
		db.committed()
	}
	return res, err
}

// Exec is ExecContext without a context.
func (db *DB) Exec(query string, args ...any) (sql.Result, error) {
	return db.ExecContext(context.Background(), query, args...)
}

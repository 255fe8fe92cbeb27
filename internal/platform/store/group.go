package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// maxGroup bounds how many callers share one transaction: each waits for
// the others' work before its commit.
const maxGroup = 16

// InGroupTx runs fn in a transaction as InTx does, except that on SQLite it
// may share that transaction with the fns of other InGroupTx calls waiting
// for the writer at the same moment, each in a savepoint of its own: one
// commit, one write of the pages they share (the inbox, the outbox and
// their indexes) to the WAL, instead of one of each per call. Under load
// the event consumers of a service wait for its writer together; alone, a
// call runs exactly as InTx.
//
// Each call returns once its own work is committed, with fn's own error;
// a fn that fails (or panics) is rolled back to its savepoint and the
// others commit. When the shared transaction fails for a reason that is not
// fn's (the commit, or another fn whose statement was interrupted, which
// makes SQLite abandon the transaction), fn runs again in a transaction of
// its own. So fn must be safe to run more than once, which is what an inbox
// handler already is (outbox.Once: a failed attempt leaves nothing, and
// redelivery runs it again). PostgreSQL runs every call in its own
// transaction (InTx): it has no single writer to wait for.
func (db *DB) InGroupTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if db.writer == nil {
		return db.InTx(ctx, fn)
	}
	if err := db.groupTx(ctx, fn); err != nil {
		return err
	}
	db.runHooks()
	return nil
}

// runHooks runs the after-commit hooks (see AfterCommit).
func (db *DB) runHooks() {
	db.mu.Lock()
	hooks := db.afterCommit
	db.mu.Unlock()
	for _, h := range hooks {
		h()
	}
}

// groupCall is one InGroupTx call waiting for a leader to run it.
type groupCall struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan groupResult // buffered: the leader never waits for the caller
}

type groupResult struct {
	err error
	// alone: the shared transaction failed for another reason than this
	// call's fn; the caller runs fn again in a transaction of its own.
	alone bool
	// panicked is what fn panicked with, re-raised in the caller.
	panicked any
}

// groupQueue is the calls waiting for the writer, in arrival order.
type groupQueue struct {
	mu    sync.Mutex
	calls []*groupCall
}

func (q *groupQueue) add(c *groupCall) {
	q.mu.Lock()
	q.calls = append(q.calls, c)
	q.mu.Unlock()
}

// take removes and returns up to n calls, the oldest first.
func (q *groupQueue) take(n int) []*groupCall {
	q.mu.Lock()
	defer q.mu.Unlock()
	n = min(n, len(q.calls))
	out := make([]*groupCall, n)
	copy(out, q.calls)
	q.calls = append(q.calls[:0], q.calls[n:]...)
	return out
}

// remove takes c out of the queue and reports whether it was still there
// (no leader has taken it).
func (q *groupQueue) remove(c *groupCall) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, w := range q.calls {
		if w == c {
			q.calls = append(q.calls[:i], q.calls[i+1:]...)
			return true
		}
	}
	return false
}

// groupTx queues the call, then either leads (it got the writer: it runs
// the queued calls, its own among them) or is run by another leader.
func (db *DB) groupTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	c := &groupCall{ctx: ctx, fn: fn, done: make(chan groupResult, 1)}
	db.group.add(c)
	bound := time.NewTimer(writerWait) // the bound on waiting, not a pause
	defer bound.Stop()
	var res groupResult
wait:
	for {
		select {
		case db.writer <- struct{}{}:
			db.lead()
			db.writer.release()
			select {
			case res = <-c.done:
				break wait
			default: // the group was full without this call: wait again
			}
		case res = <-c.done:
			break wait
		case <-ctx.Done():
			if db.group.remove(c) {
				return fmt.Errorf("store: wait for the %s writer: %w", db.Namespace, ctx.Err())
			}
			res = <-c.done // a leader has it: its outcome is the answer
			break wait
		case <-bound.C:
			if db.group.remove(c) {
				return fmt.Errorf("store: the %s writer was busy for %s: database is locked", db.Namespace, writerWait)
			}
			res = <-c.done
			break wait
		}
	}
	if res.panicked != nil {
		panic(res.panicked)
	}
	if res.alone {
		return db.InTxNoHooks(ctx, fn)
	}
	return res.err
}

// lead runs the queued calls in one transaction (the caller holds the
// writer) and hands each its result.
func (db *DB) lead() {
	calls := db.group.take(maxGroup)
	switch len(calls) {
	case 0:
		return
	case 1:
		c := calls[0]
		c.done <- db.runAlone(c)
		return
	}
	results := db.runGroup(calls)
	for i, c := range calls {
		c.done <- results[i]
	}
}

// runAlone is InTxNoHooks's transaction for one call, run by its leader.
func (db *DB) runAlone(c *groupCall) groupResult {
	tx, err := db.BeginTx(c.ctx, nil)
	if err != nil {
		return groupResult{err: fmt.Errorf("begin: %w", err)}
	}
	if res := call(c.fn, tx); res.err != nil || res.panicked != nil {
		_ = tx.Rollback()
		res.err = db.Dialect.translate(res.err)
		return res
	}
	if err := tx.Commit(); err != nil {
		return groupResult{err: fmt.Errorf("commit: %w", db.Dialect.translate(err))}
	}
	db.committed()
	return groupResult{}
}

// runGroup runs calls in one transaction, each fn in a savepoint.
func (db *DB) runGroup(calls []*groupCall) []groupResult {
	results := make([]groupResult, len(calls))
	// The transaction belongs to no single caller: one caller giving up
	// must not roll back the others' work.
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		for i := range results {
			results[i].err = fmt.Errorf("begin: %w", err)
		}
		return results
	}
	abandon := func(cause error) []groupResult {
		_ = tx.Rollback()
		for i := range results {
			if results[i].err == nil && results[i].panicked == nil {
				results[i] = groupResult{alone: true, err: cause}
			}
		}
		return results
	}
	for i, c := range calls {
		if err := c.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT grouped`); err != nil {
			return abandon(err)
		}
		res := call(c.fn, tx)
		if res.err == nil && res.panicked == nil {
			if _, err := tx.ExecContext(ctx, `RELEASE grouped`); err != nil {
				return abandon(err)
			}
			continue
		}
		// fn's own failure: undo its work only. If SQLite abandoned the
		// whole transaction (an interrupted statement does), the others
		// run again alone; this one has its answer.
		results[i] = groupResult{err: db.Dialect.translate(res.err), panicked: res.panicked}
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO grouped`); err != nil {
			return abandon(err)
		}
		if _, err := tx.ExecContext(ctx, `RELEASE grouped`); err != nil {
			return abandon(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return abandon(err)
	}
	db.committed()
	return results
}

// call runs fn, turning a panic into a result.
func call(fn func(tx *sql.Tx) error, tx *sql.Tx) (res groupResult) {
	defer func() {
		if p := recover(); p != nil {
			res = groupResult{panicked: p}
		}
	}()
	return groupResult{err: fn(tx)}
}

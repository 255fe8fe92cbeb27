package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
)

// ErrNoSnapshots is returned by SnapshotAll for an engine whose backups are
// made with its own tools (PostgreSQL: pg_dump or a base backup with WAL
// archiving; see docs/operations.md).
var ErrNoSnapshots = errors.New("store: online snapshots are for the embedded SQLite databases; back PostgreSQL up with its own tools")

// Snapshot is a database as it was at one instant, readable while writers
// go on: an open read transaction on a connection of its own. Copy it with
// WriteFile, then Close it. A snapshot holds one of the database's pooled
// connections, and SQLite cannot checkpoint its WAL past it, so it is meant
// to live for the seconds a copy takes.
type Snapshot struct {
	db   *DB
	conn *sql.Conn
}

// SnapshotAll takes a snapshot of every database at one and the same
// instant: it waits for the writer of each (so that no transaction commits
// in any of them meanwhile), opens a read transaction on each, and lets the
// writers go. Writes are held for that moment only, not while the snapshots
// are copied. Together the snapshots are what a process killed at that
// instant would have left on disk, which is the state every service is
// built to recover from.
//
// The writers are taken in the order of dbs; code that holds one database's
// writer while waiting for another's would deadlock with it until the
// writer wait runs out (10 s), and no code here does.
func SnapshotAll(ctx context.Context, dbs []*DB) (_ []*Snapshot, err error) {
	for _, db := range dbs {
		if db.Dialect.copyFile == nil {
			return nil, ErrNoSnapshots
		}
	}
	var held []*DB
	defer func() {
		for _, db := range held {
			db.writer.release()
		}
	}()
	for _, db := range dbs {
		if err := db.writer.acquire(ctx, db.Namespace); err != nil {
			return nil, err
		}
		held = append(held, db)
	}
	snaps := make([]*Snapshot, 0, len(dbs))
	defer func() {
		if err != nil {
			for _, s := range snaps {
				s.Close()
			}
		}
	}()
	for _, db := range dbs {
		s, err := db.begin(ctx)
		if err != nil {
			return nil, err
		}
		snaps = append(snaps, s)
	}
	return snaps, nil
}

// begin opens the read transaction of a snapshot. BEGIN is deferred (the
// _txlock=immediate of the pool applies to BeginTx only), so it takes no
// write lock; the first read fixes what the transaction sees.
func (db *DB) begin(ctx context.Context) (*Snapshot, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: snapshot %s: %w", db.Namespace, err)
	}
	s := &Snapshot{db: db, conn: conn}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: snapshot %s: %w", db.Namespace, err)
	}
	var tables int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_schema").Scan(&tables); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: snapshot %s: %w", db.Namespace, err)
	}
	return s, nil
}

// Name is the database's name: the service's file stem.
func (s *Snapshot) Name() string { return s.db.Namespace }

// QueryRowContext reads from the snapshot.
func (s *Snapshot) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return s.conn.QueryRowContext(ctx, query, args...)
}

// WriteFile writes the snapshot into a new database file at path (which
// must not exist): a complete SQLite database that opens on its own.
func (s *Snapshot) WriteFile(ctx context.Context, path string) error {
	return s.db.Dialect.copyFile(ctx, s.conn, path)
}

// Close ends the read transaction and gives the connection back.
func (s *Snapshot) Close() error {
	_, err := s.conn.ExecContext(context.Background(), "ROLLBACK")
	if err != nil {
		// A connection still in a transaction must not go back to the
		// pool: Raw's driver.ErrBadConn makes database/sql discard it.
		_ = s.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return errors.Join(err, s.conn.Close())
}

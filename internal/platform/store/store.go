// Package store opens a service's own SQL database, SQLite by default and
// PostgreSQL by configuration, runs its migrations and runs transactions.
//
// Queries are written once, with $1-style placeholders and SQL that both
// engines accept (ON CONFLICT, RETURNING). What differs between the two lives
// in dialect.go and nowhere else.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sync"

	"github.com/openhouse/openhouse/internal/platform/fault"
)

// ErrNotFound is returned (wrapped) by stores when a row does not exist:
// fault.ErrNotFound, which the HTTP layer answers 404.
var ErrNotFound = fault.ErrNotFound

// ErrConflict is returned (wrapped) when a write breaks a uniqueness rule:
// fault.ErrConflict, which the HTTP layer answers 409.
var ErrConflict = fault.ErrConflict

// Config says where a service's data lives.
type Config struct {
	// URL is a postgres:// URL. Empty means embedded SQLite under DataDir.
	URL string
	// DataDir holds one SQLite file per service in the embedded mode.
	DataDir string
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.URL == "" && c.DataDir == "" {
		return errors.New("store: OPENHOUSE_DATA_DIR is required when OPENHOUSE_DATABASE_URL is empty")
	}
	if c.URL != "" && !postgresURL.MatchString(c.URL) {
		return fmt.Errorf("store: OPENHOUSE_DATABASE_URL must start with postgres:// or postgresql://")
	}
	return nil
}

var (
	postgresURL = regexp.MustCompile(`^postgres(ql)?://`)
	// serviceName keeps names safe to use as a file name and a schema name.
	serviceName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

// DB is one service's database. It is safe for concurrent use.
type DB struct {
	*sql.DB
	// Dialect says which engine this is and how it differs.
	Dialect Dialect
	// Namespace is the service's schema (PostgreSQL) or file stem (SQLite).
	Namespace string

	// writer queues SQLite's write transactions (nil on PostgreSQL).
	writer writeLock
	// checkpoints copies SQLite's WAL back in the background (nil on
	// PostgreSQL; see checkpoint.go).
	checkpoints *checkpointer
	// group holds the InGroupTx calls waiting for the SQLite writer.
	group groupQueue

	mu          sync.Mutex
	afterCommit []func()
}

// Open opens (creating if needed) the database of the named service: the
// file DataDir/<name>.db, or the schema <name> in the PostgreSQL database.
func Open(ctx context.Context, cfg Config, name string) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !serviceName.MatchString(name) {
		return nil, fmt.Errorf("store: invalid database name %q", name)
	}
	var (
		sqlDB   *sql.DB
		dialect Dialect
		err     error
	)
	if cfg.URL == "" {
		sqlDB, err = openSQLite(cfg.DataDir, name)
		dialect = SQLite
	} else {
		sqlDB, err = openPostgres(ctx, cfg.URL, name)
		dialect = Postgres
	}
	if err != nil {
		return nil, err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: reach %s database %q: %w", dialect.Name, name, err)
	}
	db := &DB{DB: sqlDB, Dialect: dialect, Namespace: name}
	if dialect.Name == SQLite.Name {
		db.writer = newWriteLock()
		db.startCheckpointer()
	}
	return db, nil
}

// AfterCommit registers fn to run after every transaction that InTx commits.
// The outbox relay uses it to publish at once instead of waiting for a poll.
// fn must not block.
func (db *DB) AfterCommit(fn func()) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.afterCommit = append(db.afterCommit, fn)
}

// InTx runs fn in a transaction and commits it if fn returns nil; otherwise
// it rolls back and returns fn's error. A conflict reported by the engine
// when committing is returned wrapped in ErrConflict.
func (db *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := db.InTxNoHooks(ctx, fn); err != nil {
		return err
	}
	db.runHooks()
	return nil
}

// InTxNoHooks is InTx without the after-commit hooks, for the code those
// hooks wake (the outbox relay marking its own rows).
func (db *DB) InTxNoHooks(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	if err := db.writer.acquire(ctx, db.Namespace); err != nil {
		return err
	}
	defer db.writer.release()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return db.Dialect.translate(err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", db.Dialect.translate(err))
	}
	db.committed()
	return nil
}

// Translate maps an engine error to ErrConflict where it is a uniqueness
// violation, and returns other errors unchanged. Stores call it on the
// errors of single statements run outside InTx.
func (db *DB) Translate(err error) error { return db.Dialect.translate(err) }

// LockKey serialises the transactions that lock the same key, until tx
// ends: for rules over rows that may not exist yet ("at most one checkout
// per key", "at most five items per cart"), which FOR UPDATE cannot lock.
// SQLite transactions here are exclusive already.
func (db *DB) LockKey(ctx context.Context, tx *sql.Tx, key string) error {
	if db.Dialect.keyLock == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, db.Dialect.keyLock, key); err != nil {
		return fmt.Errorf("lock %q: %w", key, err)
	}
	return nil
}

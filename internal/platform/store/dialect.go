package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect is everything that differs between SQLite and PostgreSQL. Code
// outside this file asks the dialect instead of testing the engine's name.
type Dialect struct {
	// Name is "sqlite" or "postgres".
	Name string
	// SkipLocked is appended to a SELECT that claims rows for work, so that
	// several workers on one PostgreSQL database never take the same row.
	// SQLite has one writer at a time and needs nothing.
	SkipLocked string
	// ForUpdate is appended to a SELECT whose rows the transaction will
	// change, so that concurrent read-modify-write transactions queue on
	// PostgreSQL. SQLite transactions here take the write lock at BEGIN, so
	// they already queue.
	ForUpdate string
	// keyLock takes a lock on an arbitrary key until the transaction ends
	// (see DB.LockKey); empty where transactions are already exclusive.
	keyLock string
	// Types maps the type names that migrations use ({{.Bytes}} and so on)
	// to this engine's column types.
	Types MigrationTypes
	// copyFile writes the database as conn's open read transaction sees it
	// into a new file (see Snapshot); nil where the engine has its own
	// backup tools (pg_dump, base backups), which openhouse leaves to them.
	copyFile func(ctx context.Context, conn *sql.Conn, path string) error
	// goose is the goose dialect name.
	goose string
}

// MigrationTypes are the placeholders a migration file may use.
type MigrationTypes struct {
	Bytes     string // binary payloads
	Timestamp string // an instant; always written in UTC
	Serial    string // an increasing integer primary key
	JSON      string // a JSON document
	// TextBytes turns a TEXT column's value into its UTF-8 bytes, for a
	// migration that moves text into a {{.Bytes}} column: a format with
	// one %s, used as {{printf .TextBytes "column"}}.
	TextBytes string
}

// SQLite is the embedded default: one file per service, WAL journal.
var SQLite = Dialect{
	Name:     "sqlite",
	goose:    "sqlite3",
	copyFile: sqliteCopyFile,
	Types: MigrationTypes{
		Bytes:     "BLOB",
		Timestamp: "DATETIME",
		Serial:    "INTEGER PRIMARY KEY AUTOINCREMENT",
		JSON:      "TEXT",
		TextBytes: "CAST(%s AS BLOB)",
	},
}

// Postgres is the distributed mode: one schema per service.
var Postgres = Dialect{
	Name:       "postgres",
	goose:      "postgres",
	SkipLocked: "FOR UPDATE SKIP LOCKED",
	ForUpdate:  "FOR UPDATE",
	keyLock:    "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
	Types: MigrationTypes{
		Bytes:     "BYTEA",
		Timestamp: "TIMESTAMPTZ",
		Serial:    "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
		JSON:      "JSONB",
		// Not CAST(... AS BYTEA), which reads backslashes as escapes.
		TextBytes: "convert_to(%s, 'UTF8')",
	},
}

// translate wraps uniqueness violations in ErrConflict.
func (d Dialect) translate(err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("%w: %s", ErrConflict, pgErr.ConstraintName)
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %s", ErrConflict, liteErr.Error())
		}
	}
	return err
}

// openSQLite opens dir/name.db. WAL lets readers run beside the writer;
// _txlock=immediate takes the write lock at BEGIN so two writers queue on
// busy_timeout instead of failing at their first write (within one process
// they queue on DB.writer before that, see writelock.go; connections keep
// their prepared statements, see stmtcache.go); synchronous=NORMAL
// in WAL mode loses nothing when the process is killed (only an OS crash can
// roll back the last transactions; see docs/architecture.md);
// wal_autocheckpoint=0 because checkpoints run in the background instead
// of inside a commit (checkpoint.go).
func openSQLite(dir, name string) (*sql.DB, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: create data dir: %w", err)
	}
	path := filepath.Join(dir, name+".db")
	dsn := "file:" + path + "?" + url.Values{
		"_txlock":      {"immediate"},
		"_time_format": {"sqlite"},
		"_pragma":      {"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)", "wal_autocheckpoint(0)"},
	}.Encode()
	connector, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db := sql.OpenDB(&sqliteConnector{inner: connector})
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// sqliteCopyFile copies the database into a new file at path with SQLite's
// online backup API, in one step on conn. The backup reads through conn's
// read transaction when one is open (sqlite3_backup_step opens its own
// only when there is none), so the copy is the database at the instant that
// transaction began, however many commits other connections make while it
// runs.
func sqliteCopyFile(ctx context.Context, conn *sql.Conn, path string) error {
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store: copy to %s: the file exists", path)
	}
	return conn.Raw(func(dc any) error {
		inner := dc
		if c, ok := dc.(*cachingConn); ok {
			inner = c.sqliteDriverConn
		}
		src, ok := inner.(interface {
			NewBackup(dstURI string) (*sqlite.Backup, error)
		})
		if !ok {
			return fmt.Errorf("store: the SQLite driver's connection (%T) cannot back up", inner)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := src.NewBackup(path)
		if err != nil {
			return fmt.Errorf("store: copy to %s: %w", path, err)
		}
		_, stepErr := b.Step(-1)
		if err := b.Finish(); stepErr == nil && err != nil {
			stepErr = err
		}
		if stepErr != nil {
			return fmt.Errorf("store: copy to %s: %w", path, stepErr)
		}
		return nil
	})
}

// openPostgres opens the database at rawURL with search_path set to the
// service's schema, creating the database and the schema when missing.
func openPostgres(ctx context.Context, rawURL, schema string) (*sql.DB, error) {
	maxConns, rawURL, err := poolSize(rawURL)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store: parse OPENHOUSE_DATABASE_URL: %w", err)
	}
	if err := ensurePostgresDatabase(ctx, cfg); err != nil {
		return nil, err
	}
	if err := ensurePostgresSchema(ctx, cfg, schema); err != nil {
		return nil, err
	}
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// ensurePostgresDatabase creates the configured database if the server says
// it does not exist, so a fresh server needs no manual step.
func ensurePostgresDatabase(ctx context.Context, cfg *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		return conn.Close(ctx)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" { // invalid_catalog_name
		return fmt.Errorf("store: connect to postgres: %w", err)
	}
	admin := cfg.Copy()
	admin.Database = "postgres"
	conn, err = pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("store: connect to postgres to create database %q: %w", cfg.Database, err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{cfg.Database}.Sanitize())
	// duplicate_database: another process won the race; unique_violation
	// (on pg_database) is how PostgreSQL reports the same race when both
	// CREATEs ran at once (seen when a cluster's services start together).
	if err != nil && !isPgCode(err, "42P04") && !isPgCode(err, "23505") {
		return fmt.Errorf("store: create database %q: %w", cfg.Database, err)
	}
	return nil
}

func ensurePostgresSchema(ctx context.Context, cfg *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("store: connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
	// Two processes creating the schema at once can still collide.
	if err != nil && !isPgCode(err, "42P06") && !isPgCode(err, "23505") {
		return fmt.Errorf("store: create schema %q: %w", schema, err)
	}
	return nil
}

func isPgCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// DropPostgresSchema removes a schema and everything in it. Tests use it to
// leave the shared server as they found it.
func DropPostgresSchema(ctx context.Context, rawURL, schema string) error {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}

// sqliteTimeFormat is how the SQLite driver writes time.Time values
// (_time_format=sqlite), always in UTC here.
const sqliteTimeFormat = "2006-01-02 15:04:05.999999999-07:00"

// Time scans an instant, possibly NULL, from either engine. SQLite returns a
// timestamp column as time.Time but a computed one (MIN, MAX, COALESCE) as
// the text it stored; PostgreSQL always returns time.Time.
type Time struct {
	Time  time.Time
	Valid bool
}

// UTC is the instant in UTC, or the zero time for NULL.
func (t Time) UTC() time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// NullTime is the value to write for an instant that may be unset: NULL
// for the zero time, else the instant in UTC.
func NullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// Scan implements sql.Scanner.
func (t *Time) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*t = Time{}
	case time.Time:
		*t = Time{Time: v, Valid: true}
	case string:
		parsed, err := time.Parse(sqliteTimeFormat, v)
		if err != nil {
			return fmt.Errorf("store: parse time %q: %w", v, err)
		}
		*t = Time{Time: parsed, Valid: true}
	case []byte:
		return t.Scan(string(v))
	default:
		return fmt.Errorf("store: cannot scan %T into a time", v)
	}
	return nil
}

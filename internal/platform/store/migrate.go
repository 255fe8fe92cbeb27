package store

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"testing/fstest"
	"text/template"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Migrate brings the database up to the newest migration of the named set
// in the directory dir of fsys (usually an embed.FS and "migrations"). Each set (a service's own tables, the outbox, ...) keeps its
// versions in its own table, goose_<set>_version. Files are
// goose SQL migrations (NNNNN_name.sql in dir) and may use the
// dialect's type placeholders, e.g. `payload {{.Bytes}} NOT NULL`, so one
// file serves both engines. On PostgreSQL a session lock lets several
// instances start at once.
func (db *DB) Migrate(ctx context.Context, set string, fsys fs.FS, dir string) error {
	if !serviceName.MatchString(set) {
		return fmt.Errorf("migrate: invalid set name %q", set)
	}
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return fmt.Errorf("migrate %s/%s: %w", db.Namespace, set, err)
	}
	rendered, err := renderMigrations(sub, db.Dialect.Types)
	if err != nil {
		return fmt.Errorf("migrate %s/%s: %w", db.Namespace, set, err)
	}
	opts := []goose.ProviderOption{goose.WithTableName("goose_" + set + "_version"), goose.WithDisableGlobalRegistry(true)}
	if db.Dialect.Name == Postgres.Name {
		// One advisory lock per schema and set, retried every second: with
		// goose's default (one lock for the whole database, retried every 5 s)
		// the services of a distributed deployment, which share a database,
		// start one after another, 5 s apart.
		locker, err := lock.NewPostgresSessionLocker(
			lock.WithLockID(migrationLockID(db.Namespace, set)),
			lock.WithLockTimeout(1, 300))
		if err != nil {
			return fmt.Errorf("migrate %s/%s: %w", db.Namespace, set, err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	provider, err := goose.NewProvider(goose.Dialect(db.Dialect.goose), db.DB, rendered, opts...)
	if err != nil {
		return fmt.Errorf("migrate %s/%s: %w", db.Namespace, set, err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s/%s: %w", db.Namespace, set, err)
	}
	return nil
}

// renderMigrations executes every .sql file of fsys as a template over the
// dialect's types.
func renderMigrations(fsys fs.FS, types MigrationTypes) (fs.FS, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	out := fstest.MapFS{}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		raw, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		tmpl, err := template.New(e.Name()).Option("missingkey=error").Parse(string(raw))
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", e.Name(), err)
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, types); err != nil {
			return nil, fmt.Errorf("render %s: %w", e.Name(), err)
		}
		out[e.Name()] = &fstest.MapFile{Data: buf.Bytes()}
	}
	return out, nil
}

// migrationLockID is the advisory lock key of one schema's migration set.
func migrationLockID(schema, set string) int64 {
	h := fnv.New64a()
	h.Write([]byte(schema + "/" + set))
	return int64(h.Sum64() &^ (1 << 63)) // positive, as goose requires
}

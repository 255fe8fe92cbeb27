// Package storetest runs a test against every database engine openhouse
// supports: embedded SQLite always, and PostgreSQL when
// OPENHOUSE_TEST_DATABASE_URL names a server (as .ci/run does).
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/store"
)

// EnvURL names the PostgreSQL server the integration suites use.
const EnvURL = "OPENHOUSE_TEST_DATABASE_URL"

// Opener opens a fresh, empty database for one service of a test. Every
// call returns a new database; it is removed when the test ends.
type Opener func(t testing.TB, name string) *store.DB

// Run runs fn once per engine as a subtest named after the engine.
func Run(t *testing.T, fn func(t *testing.T, open Opener)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, OpenSQLite) })
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv(EnvURL) == "" {
			t.Skip(EnvURL + " is not set; .ci/run sets it to run this against a real PostgreSQL")
		}
		fn(t, OpenPostgres)
	})
}

// OpenSQLite opens a database in a fresh temporary directory.
func OpenSQLite(t testing.TB, name string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()}, name)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// OpenPostgres opens a fresh schema on the server named by
// OPENHOUSE_TEST_DATABASE_URL and drops it when the test ends.
func OpenPostgres(t testing.TB, name string) *store.DB {
	t.Helper()
	url := os.Getenv(EnvURL)
	if url == "" {
		t.Skip(EnvURL + " is not set")
	}
	schema := name + "_" + randomSuffix(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, store.Config{URL: url}, schema)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() {
		db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := store.DropPostgresSchema(ctx, url, schema); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return db
}

func randomSuffix(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// PairOpener opens one fresh database twice, as two instances of a service
// share it: two connection pools (and, on SQLite, two write queues) onto
// the same file or schema.
type PairOpener func(t testing.TB, name string) (*store.DB, *store.DB)

// RunPair runs fn once per engine, as Run does, with a PairOpener.
func RunPair(t *testing.T, fn func(t *testing.T, open PairOpener)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openSQLitePair) })
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv(EnvURL) == "" {
			t.Skip(EnvURL + " is not set; .ci/run sets it to run this against a real PostgreSQL")
		}
		fn(t, openPostgresPair)
	})
}

func openSQLitePair(t testing.TB, name string) (*store.DB, *store.DB) {
	t.Helper()
	dir := t.TempDir()
	open := func() *store.DB {
		db, err := store.Open(context.Background(), store.Config{DataDir: dir}, name)
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	return open(), open()
}

func openPostgresPair(t testing.TB, name string) (*store.DB, *store.DB) {
	t.Helper()
	first := OpenPostgres(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second, err := store.Open(ctx, store.Config{URL: os.Getenv(EnvURL)}, first.Namespace)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { second.Close() })
	return first, second
}

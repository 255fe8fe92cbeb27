package store_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

var migrations = fstest.MapFS{
	"00001_things.sql": {Data: []byte(`-- +goose Up
CREATE TABLE things (
    id      TEXT PRIMARY KEY,
    n       INTEGER NOT NULL DEFAULT 0,
    blob    {{.Bytes}},
    at      {{.Timestamp}}
);
-- +goose Down
DROP TABLE things;
`)},
	"00002_counters.sql": {Data: []byte(`-- +goose Up
CREATE TABLE counters (seq {{.Serial}}, name TEXT NOT NULL UNIQUE, value INTEGER NOT NULL);
-- +goose Down
DROP TABLE counters;
`)},
}

func migrated(t *testing.T, open storetest.Opener) *store.DB {
	t.Helper()
	db := open(t, "things")
	if err := db.Migrate(context.Background(), "things", migrations, "."); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// TestContract is the behaviour every engine must show; it runs unchanged on
// SQLite and PostgreSQL.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		t.Run("migrations are idempotent", func(t *testing.T) {
			db := migrated(t, open)
			if err := db.Migrate(context.Background(), "things", migrations, "."); err != nil {
				t.Fatalf("second migrate: %v", err)
			}
			if _, err := db.Exec(`INSERT INTO things (id) VALUES ($1)`, "a"); err != nil {
				t.Fatalf("insert after migrate: %v", err)
			}
		})

		t.Run("a template error stops the migration", func(t *testing.T) {
			db := open(t, "broken")
			bad := fstest.MapFS{"00001_x.sql": {Data: []byte("-- +goose Up\nCREATE TABLE x (a {{.Nope}});\n")}}
			if err := db.Migrate(context.Background(), "broken", bad, "."); err == nil {
				t.Fatal("migrate with an unknown placeholder succeeded")
			}
		})

		t.Run("commit and rollback", func(t *testing.T) {
			db := migrated(t, open)
			var hooks atomic.Int32
			db.AfterCommit(func() { hooks.Add(1) })
			ctx := context.Background()
			err := db.InTx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO things (id, n) VALUES ($1, $2)`, "kept", 1)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			boom := errors.New("boom")
			err = db.InTx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO things (id, n) VALUES ($1, $2)`, "dropped", 1); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("InTx error = %v, want boom", err)
			}
			var ids []string
			rows, err := db.QueryContext(ctx, `SELECT id FROM things ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			if len(ids) != 1 || ids[0] != "kept" {
				t.Fatalf("rows = %v, want [kept]", ids)
			}
			if got := hooks.Load(); got != 1 {
				t.Fatalf("after-commit hooks ran %d times, want 1 (only for the commit)", got)
			}
		})

		t.Run("uniqueness violations are ErrConflict", func(t *testing.T) {
			db := migrated(t, open)
			ctx := context.Background()
			insert := func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO things (id) VALUES ($1)`, "dup")
				return err
			}
			if err := db.InTx(ctx, insert); err != nil {
				t.Fatal(err)
			}
			if err := db.InTx(ctx, insert); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("duplicate insert error = %v, want ErrConflict", err)
			}
			_, err := db.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES ($1, 1), ($1, 2)`, "x")
			if !errors.Is(db.Translate(err), store.ErrConflict) {
				t.Fatalf("Translate(%v) is not ErrConflict", err)
			}
		})

		t.Run("timestamps keep the instant to the microsecond and sort", func(t *testing.T) {
			db := migrated(t, open)
			ctx := context.Background()
			zone := time.FixedZone("UTC+5", 5*3600)
			base := time.Date(2026, 11, 25, 9, 30, 0, 123456000, zone)
			for i, id := range []string{"c", "a", "b"} {
				at := base.Add(time.Duration(i) * 1500 * time.Millisecond)
				if _, err := db.ExecContext(ctx, `INSERT INTO things (id, at, blob) VALUES ($1, $2, $3)`, id, at.UTC(), []byte{0, 1, 2}); err != nil {
					t.Fatal(err)
				}
			}
			var at time.Time
			var blob []byte
			if err := db.QueryRowContext(ctx, `SELECT at, blob FROM things WHERE id = $1`, "c").Scan(&at, &blob); err != nil {
				t.Fatal(err)
			}
			if !at.Equal(base) {
				t.Fatalf("read %v, wrote %v", at, base)
			}
			if string(blob) != "\x00\x01\x02" {
				t.Fatalf("blob = %q", blob)
			}
			var first string
			if err := db.QueryRowContext(ctx, `SELECT id FROM things WHERE at > $1 ORDER BY at LIMIT 1`, base.UTC()).Scan(&first); err != nil {
				t.Fatal(err)
			}
			if first != "a" {
				t.Fatalf("first after base = %q, want a", first)
			}
		})

		t.Run("read-modify-write transactions do not lose updates", func(t *testing.T) {
			db := migrated(t, open)
			ctx := context.Background()
			if _, err := db.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES ('hits', 0)`); err != nil {
				t.Fatal(err)
			}
			const workers, each = 8, 25
			var wg sync.WaitGroup
			errs := make(chan error, workers*each)
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; i++ {
						errs <- db.InTx(ctx, func(tx *sql.Tx) error {
							var v int
							if err := tx.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'hits' `+db.Dialect.ForUpdate).Scan(&v); err != nil {
								return err
							}
							_, err := tx.ExecContext(ctx, `UPDATE counters SET value = $1 WHERE name = 'hits'`, v+1)
							return err
						})
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			var v int
			if err := db.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'hits'`).Scan(&v); err != nil {
				t.Fatal(err)
			}
			if v != workers*each {
				t.Fatalf("counter = %d, want %d", v, workers*each)
			}
		})

	})
}

func TestOpenRejectsBadConfig(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		cfg  store.Config
		db   string
	}{
		{"no data dir", store.Config{}, "iam"},
		{"not a postgres url", store.Config{URL: "mysql://x"}, "iam"},
		{"unsafe name", store.Config{DataDir: t.TempDir()}, "../etc"},
		{"upper-case name", store.Config{DataDir: t.TempDir()}, "IAM"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if db, err := store.Open(ctx, c.cfg, c.db); err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

func TestSQLiteReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, store.Config{DataDir: dir}, "things")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "things", migrations, "."); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO things (id, n) VALUES ('kept', 7)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = store.Open(ctx, store.Config{DataDir: dir}, "things")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT n FROM things WHERE id = 'kept'`).Scan(&n); err != nil || n != 7 {
		t.Fatalf("after reopen n=%d err=%v", n, err)
	}
}

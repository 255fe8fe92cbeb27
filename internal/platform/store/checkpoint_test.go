package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/store"
)

// The WAL is copied back in the background (SQLite's automatic checkpoint
// is off): a checkpoint runs every CheckpointEvery commits, and the WAL
// starts over instead of growing by a page or more per commit; every row
// is there after the database is closed and opened again.
func TestWALIsCheckpointedInTheBackground(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, store.Config{DataDir: dir}, "things")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, "things", migrations, "."); err != nil {
		t.Fatal(err)
	}
	const rounds = 30
	n := 0
	for range rounds {
		before := store.CheckpointRuns(db)
		for range store.CheckpointEvery {
			if err := db.InTx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO things (id, n) VALUES ($1, $2)`, fmt.Sprint("t", n), n)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			n++
		}
		// Each round's commits ask for one checkpoint; it ran once the
		// counter moved.
		deadline := time.Now().Add(10 * time.Second)
		for store.CheckpointRuns(db) == before {
			if time.Now().After(deadline) {
				t.Fatalf("no checkpoint within 10 s after %d commits", store.CheckpointEvery)
			}
			time.Sleep(time.Millisecond) // polling a condition, with a deadline
		}
	}
	var pageSize int64
	if err := db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	// Every commit appends at least one frame (a page and its header):
	// without checkpoints the WAL would hold more than one per commit
	// (about 17,000 frames for 8,000 commits when tried). The file keeps
	// its largest size; SQLite writes over it from the start.
	st, err := os.Stat(filepath.Join(dir, "things.db-wal"))
	if err != nil {
		t.Fatal(err)
	}
	if frames := st.Size() / (pageSize + 24); frames > 4*store.CheckpointEvery {
		t.Fatalf("the WAL reached %d frames in %d commits: it did not start over", frames, n)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(ctx, store.Config{DataDir: dir}, "things")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var count int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM things`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("%d rows after reopening, want %d", count, n)
	}
}

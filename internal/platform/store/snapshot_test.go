package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestSnapshotAllIsOneInstant: a writer commits n to database a, then n to
// database b, for n = 1, 2, 3, ... like a saga of two services. Snapshots
// taken meanwhile must each be one instant across both files: b never
// holds a number a lacks, and a is at most one ahead of b. Snapshotting the
// files one after the other without holding the writers breaks this within
// a few rounds.
func TestSnapshotAllIsOneInstant(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func(name string) *store.DB {
		db, err := store.Open(ctx, store.Config{DataDir: dir}, name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Exec(`CREATE TABLE steps (n INTEGER PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		return db
	}
	a, b := open("a"), open("b")
	insert := func(db *store.DB, n int) error {
		return db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO steps (n) VALUES ($1)`, n)
			return err
		})
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 1; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := insert(a, n); err != nil {
				t.Error(err)
				return
			}
			if err := insert(b, n); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	maxOf := func(path string) int {
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n sql.NullInt64
		if err := db.QueryRow(`SELECT MAX(n) FROM steps`).Scan(&n); err != nil {
			t.Fatalf("read the copy %s: %v", path, err)
		}
		return int(n.Int64)
	}
	out := t.TempDir()
	for round := range 30 {
		snaps, err := store.SnapshotAll(ctx, []*store.DB{a, b})
		if err != nil {
			t.Fatal(err)
		}
		var seen [2]int
		for i, s := range snaps {
			if err := s.QueryRowContext(ctx, `SELECT COALESCE(MAX(n), 0) FROM steps`).Scan(&seen[i]); err != nil {
				t.Fatal(err)
			}
		}
		// The writer commits past the snapshot before it is copied.
		for deadline := time.Now().Add(5 * time.Second); ; {
			var now int
			if err := b.QueryRowContext(ctx, `SELECT COALESCE(MAX(n), 0) FROM steps`).Scan(&now); err != nil {
				t.Fatal(err)
			}
			if now > seen[1] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the writer is stuck at %d", round, now)
			}
		}
		var copied [2]int
		for i, s := range snaps {
			path := filepath.Join(out, s.Name()+"-"+string(rune('a'+round))+".db")
			if err := s.WriteFile(ctx, path); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			copied[i] = maxOf(path)
		}
		if copied != seen {
			t.Fatalf("round %d: the copies hold %v, the snapshots saw %v", round, copied, seen)
		}
		if ahead := copied[0] - copied[1]; ahead < 0 || ahead > 1 {
			t.Fatalf("round %d: a is at %d, b at %d: not one instant", round, copied[0], copied[1])
		}
	}
}

func TestSnapshotRefusesAnExistingFileAndPostgres(t *testing.T) {
	ctx := context.Background()
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		db := open(t, "snap")
		snaps, err := store.SnapshotAll(ctx, []*store.DB{db})
		if db.Dialect.Name == store.Postgres.Name {
			if !errors.Is(err, store.ErrNoSnapshots) {
				t.Fatalf("SnapshotAll on PostgreSQL = %v, want ErrNoSnapshots", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		defer snaps[0].Close()
		path := filepath.Join(t.TempDir(), "copy.db")
		if err := snaps[0].WriteFile(ctx, path); err != nil {
			t.Fatal(err)
		}
		if err := snaps[0].WriteFile(ctx, path); err == nil {
			t.Fatal("a second copy onto the same file succeeded")
		}
	})
}

package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// While one transaction holds SQLite's writer, another write (a transaction
// or a bare statement) waits for it and gives up when its context ends;
// once the writer is free, writes go through again.
func TestWriterWaitEndsWithContext(t *testing.T) {
	ctx := context.Background()
	db := storetest.OpenSQLite(t, "things")
	if err := db.Migrate(ctx, "things", migrations, "."); err != nil {
		t.Fatal(err)
	}
	holding, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO things (id) VALUES ('held')`); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	for name, write := range map[string]func(context.Context) error{
		"transaction": func(ctx context.Context) error {
			return db.InTx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO things (id) VALUES ('tx')`)
				return err
			})
		},
		"statement": func(ctx context.Context) error {
			_, err := db.ExecContext(ctx, `INSERT INTO things (id) VALUES ('stmt')`)
			return err
		},
	} {
		cctx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() { errc <- write(cctx) }()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("%s while the writer is held, context cancelled: got %v, want context.Canceled", name, err)
		}
	}
	// Reads go on beside the writer (WAL).
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM things`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("read beside the writer: n=%d err=%v", n, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO things (id) VALUES ('after')`); err != nil {
		t.Fatalf("write after the writer was released: %v", err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM things`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows: n=%d err=%v, want held and after", n, err)
	}
}

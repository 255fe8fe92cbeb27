package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/audit"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestAddCommitsWithTheChange: an entry added in a transaction that rolls
// back never reaches the outbox; one that commits does, once.
func TestAddCommitsWithTheChange(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		db := open(t, "audit")
		if err := outbox.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		change := audit.Change{Action: "user.suspended", ResourceType: "user", ResourceID: "u-1",
			Before: state{"active"}, After: state{"suspended"}}
		failed := errors.New("the change failed")
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			if err := audit.Add(ctx, tx, "iam", change, at); err != nil {
				return err
			}
			return failed
		}); !errors.Is(err, failed) {
			t.Fatalf("rolled back tx = %v", err)
		}
		if n := outboxRows(t, db.DB); n != 0 {
			t.Fatalf("%d outbox rows after a rollback, want 0", n)
		}
		if err := db.InTx(ctx, func(tx *sql.Tx) error { return audit.Add(ctx, tx, "iam", change, at) }); err != nil {
			t.Fatal(err)
		}
		if n := outboxRows(t, db.DB); n != 1 {
			t.Fatalf("%d outbox rows after a commit, want 1", n)
		}
	})
}

func outboxRows(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM outbox WHERE type = 'openhouse.iam.audit.recorded.v1'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/audit"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store"
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
		if n := outboxRows(t, db); n != 0 {
			t.Fatalf("%d outbox rows after a rollback, want 0", n)
		}
		if err := db.InTx(ctx, func(tx *sql.Tx) error { return audit.Add(ctx, tx, "iam", change, at) }); err != nil {
			t.Fatal(err)
		}
		if n := outboxRows(t, db); n != 1 {
			t.Fatalf("%d outbox rows after a commit, want 1", n)
		}
	})
}

func outboxRows(t *testing.T, db *store.DB) int {
	return len(outboxtest.OfType(t, db, "openhouse.iam.audit.recorded.v1"))
}

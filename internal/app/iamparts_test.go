package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/auditlog"
	"github.com/openhouse/openhouse/internal/iam"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
	"github.com/openhouse/openhouse/internal/records"
)

// TestAuditLogAndRecordsKeepIAMsData: a database from before the audit log
// and the records left the iam package, holding an entry, a record and an
// applied event, is what they read after: their migrations adopt iam's
// tables, and the records' inbox key is the one iam used, so an event
// applied before the move is not applied again.
func TestAuditLogAndRecordsKeepIAMsData(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		db := open(t, "iam")
		if err := outbox.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		if _, err := iam.NewSQLStore(ctx, db); err != nil { // iam's migrations create the tables
			t.Fatal(err)
		}
		at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
		// What iam wrote before the move.
		if _, err := db.ExecContext(ctx, `INSERT INTO audit_entries (id, service, actor_id, actor_role, actor_service, action,
			resource_type, resource_id, before_state, after_state, at, request_id, trace_id)
			VALUES ('e-1', 'iam', 'u-1', 'admin', '', 'user.verified', 'user', 'u-2', '{"verified":false}', '{"verified":true}', $1, '', '')`, at); err != nil {
			t.Fatal(err)
		}
		if err := outbox.Once(ctx, db, "iam.records", "ev-1", func() time.Time { return at }, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO user_records (user_id, kind, ref_id, summary, changed_at)
				VALUES ('u-2', 'payment', 'p-1', '{"status":"succeeded"}', $1)`, at)
			return err
		}); err != nil {
			t.Fatal(err)
		}

		logStore, err := auditlog.NewSQLStore(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		recStore, err := records.NewSQLStore(ctx, db, func() time.Time { return at })
		if err != nil {
			t.Fatal(err)
		}
		entries, err := logStore.Entries(ctx, auditlog.Filter{}, auditlog.Cursor{}, 10)
		if err != nil || len(entries) != 1 || entries[0].ID != "e-1" || string(entries[0].After) != `{"verified":true}` {
			t.Fatalf("entries after the move = %+v, %v", entries, err)
		}
		// ev-1 again, as a redelivery after the move: applied already.
		if err := recStore.Put(ctx, "ev-1", []records.Record{{UserID: "u-2", Kind: records.Payment, RefID: "p-1",
			Summary: json.RawMessage(`{"status":"refunded"}`), ChangedAt: at.Add(time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		recs, err := recStore.Of(ctx, "u-2", 10)
		if err != nil || len(recs) != 1 || string(recs[0].Summary) != `{"status":"succeeded"}` {
			t.Fatalf("records after the move = %+v, %v; want iam's record, the redelivery not applied", recs, err)
		}
	})
}

package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/auditlog"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/iam"
	"github.com/openhouse/openhouse/internal/platform/audit"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
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

// TestSettlementReachesRecordsAndLogOnce: the iam process reads a payment's
// settlement once, through one durable consumer, for both the customer's
// payment record and the audit entry the event carries. Delivered again,
// or again after only the records applied it (the process killed between
// the two), it leaves one record and one entry with the event's content,
// on SQLite and PostgreSQL.
func TestSettlementReachesRecordsAndLogOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		db := open(t, "iam")
		if err := outbox.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		logStore, err := auditlog.NewSQLStore(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		log, err := auditlog.New(logStore)
		if err != nil {
			t.Fatal(err)
		}
		recStore, err := records.NewSQLStore(ctx, db, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		book, err := records.New(recStore)
		if err != nil {
			t.Fatal(err)
		}
		subs, err := app.IAMSubscriptions(book, log)
		if err != nil {
			t.Fatal(err)
		}
		handlerOf := func(subs []bus.Subscription, typ string) bus.Handler {
			t.Helper()
			var found bus.Handler
			for _, sub := range subs {
				if h, ok := sub.Handlers[typ]; ok && sub.Stream == "payment" && sub.Consumer == "iam" {
					if found != nil {
						t.Fatalf("%s is consumed twice on the payment stream", typ)
					}
					found = h
				}
			}
			if found == nil {
				t.Fatalf("iam does not consume %s from the payment stream", typ)
			}
			return found
		}
		settled := handlerOf(subs, events.TypePaymentSucceeded)

		at := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
		admin := auth.WithPrincipal(ctx, auth.Principal{ID: "u-admin", Role: auth.RoleAdmin})
		succeeded := func(paymentID string) bus.Event {
			entry, err := audit.New(admin, "payment", audit.Change{Action: "payment.succeeded", ResourceType: "payment", ResourceID: paymentID,
				Before: map[string]string{"status": "pending"}, After: map[string]string{"status": "succeeded"}}, at)
			if err != nil {
				t.Fatal(err)
			}
			recorded := events.AuditRecorded(entry)
			ev, err := bus.NewEvent(ctx, events.TypePaymentSucceeded, paymentID, events.PaymentSucceeded{PaymentID: paymentID, OrderID: "o-" + paymentID,
				CustomerID: "u-carl", Amount: events.Money{Amount: 2500, Currency: "USD"}, SucceededAt: at, Audit: &recorded}, at)
			if err != nil {
				t.Fatal(err)
			}
			return ev
		}
		again, interrupted := succeeded("p-1"), succeeded("p-2")
		// p-2's delivery got as far as the records before the process died.
		if err := handlerOf(book.Subscriptions(), events.TypePaymentSucceeded)(ctx, interrupted); err != nil {
			t.Fatal(err)
		}
		for _, ev := range []bus.Event{again, again, interrupted, interrupted} {
			if err := settled(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}

		for _, ev := range []bus.Event{again, interrupted} {
			entries, err := logStore.Entries(ctx, auditlog.Filter{ResourceID: ev.Subject()}, auditlog.Cursor{}, 10)
			if err != nil || len(entries) != 1 {
				t.Fatalf("%s: %d audit entries (%v), want 1", ev.Subject(), len(entries), err)
			}
			if e := entries[0]; e.ID != ev.ID() || e.Service != "payment" || e.Action != "payment.succeeded" || e.ActorID != "u-admin" ||
				string(e.Before) != `{"status":"pending"}` || string(e.After) != `{"status":"succeeded"}` || !e.At.Equal(at) {
				t.Errorf("%s: entry = %+v", ev.Subject(), e)
			}
		}
		recs, err := recStore.Of(ctx, "u-carl", 10)
		if err != nil || len(recs) != 2 {
			t.Fatalf("the customer's records = %+v (%v), want p-1 and p-2", recs, err)
		}
		for _, r := range recs {
			var s struct {
				Status    string `json:"status"`
				PaymentID string `json:"payment_id"`
			}
			if err := json.Unmarshal(r.Summary, &s); err != nil || r.Kind != records.Payment || s.Status != "succeeded" || s.PaymentID != r.RefID {
				t.Errorf("record = %+v %s (%v)", r, r.Summary, err)
			}
		}
	})
}

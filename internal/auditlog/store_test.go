package auditlog_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/auditlog"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestAuditStore runs the audit log's storage on SQLite and PostgreSQL:
// an entry stored twice is kept once, and queries filter and page newest
// first (ties in time broken by id).
func TestAuditStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		h := newHarness(t, open)
		base := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
		entry := func(id, actor, action, resource string, at time.Time) auditlog.Entry {
			return auditlog.Entry{ID: id, Service: "payment", ActorID: actor, ActorRole: "admin", Action: action,
				ResourceType: "payment", ResourceID: resource, Before: json.RawMessage(`{"status":"succeeded"}`),
				After: json.RawMessage(`{"status":"refunded"}`), At: at, RequestID: "r-" + id}
		}
		all := []auditlog.Entry{
			entry("a", "u-1", "payment.refunded", "p-1", base),
			entry("b", "u-2", "payment.refunded", "p-2", base.Add(time.Second)),
			entry("c", "u-1", "payment.created", "p-3", base.Add(time.Second)),
			entry("d", "u-1", "payment.refunded", "p-3", base.Add(2*time.Second)),
		}
		all[0].Before = nil // a creation has no before
		for _, e := range append(all, all...) {
			if err := h.store.Put(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		ids := func(es []auditlog.Entry) string {
			s := ""
			for _, e := range es {
				s += e.ID
			}
			return s
		}
		tests := []struct {
			name  string
			f     auditlog.Filter
			after auditlog.Cursor
			limit int
			want  string
		}{
			{"all, newest first, ties by id", auditlog.Filter{}, auditlog.Cursor{}, 10, "dcba"},
			{"a page", auditlog.Filter{}, auditlog.Cursor{}, 2, "dc"},
			{"after a tie", auditlog.Filter{}, auditlog.Cursor{At: base.Add(time.Second), ID: "c"}, 10, "ba"},
			{"actor", auditlog.Filter{ActorID: "u-1"}, auditlog.Cursor{}, 10, "dca"},
			{"action", auditlog.Filter{Action: "payment.created"}, auditlog.Cursor{}, 10, "c"},
			{"resource", auditlog.Filter{ResourceType: "payment", ResourceID: "p-3"}, auditlog.Cursor{}, 10, "dc"},
			{"since (inclusive)", auditlog.Filter{Since: base.Add(time.Second)}, auditlog.Cursor{}, 10, "dcb"},
			{"until (exclusive)", auditlog.Filter{Until: base.Add(2 * time.Second)}, auditlog.Cursor{}, 10, "cba"},
			{"nothing", auditlog.Filter{ActorID: "u-9"}, auditlog.Cursor{}, 10, ""},
		}
		for _, tt := range tests {
			got, err := h.store.Entries(ctx, tt.f, tt.after, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if ids(got) != tt.want {
				t.Errorf("%s: got %q, want %q", tt.name, ids(got), tt.want)
			}
		}
		got, err := h.store.Entries(ctx, auditlog.Filter{ResourceID: "p-1"}, auditlog.Cursor{}, 1)
		if err != nil || len(got) != 1 {
			t.Fatal(got, err)
		}
		if e := got[0]; string(e.Before) != "null" || string(e.After) != `{"status":"refunded"}` || !e.At.Equal(base) ||
			e.RequestID != "r-a" || e.Service != "payment" || e.ActorID != "u-1" {
			t.Errorf("stored entry = %+v (before %s)", e, e.Before)
		}
	})
}

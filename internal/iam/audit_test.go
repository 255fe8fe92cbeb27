package iam_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/iam"
	"github.com/openhouse/openhouse/internal/platform/audit"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// auditEvents are the audit events iam has written to its outbox, in order.
func (h *harness) auditEvents() []bus.Event {
	h.t.Helper()
	return h.outboxEvents(events.TypeIAMAuditRecorded)
}

type auditItem struct {
	ID           string         `json:"id"`
	Service      string         `json:"service"`
	ActorID      string         `json:"actor_id"`
	ActorRole    string         `json:"actor_role"`
	Action       string         `json:"action"`
	ResourceType string         `json:"resource_type"`
	ResourceID   string         `json:"resource_id"`
	Before       map[string]any `json:"before"`
	After        map[string]any `json:"after"`
	At           time.Time      `json:"at"`
}

func (h *harness) auditLog(token, query string) ([]auditItem, string) {
	h.t.Helper()
	resp := h.do("GET", "/iam/audit"+query, token, nil)
	if resp.status != 200 {
		h.t.Fatalf("GET /iam/audit%s = %d %s", query, resp.status, resp.body)
	}
	var list struct {
		Items      []auditItem `json:"items"`
		NextCursor string      `json:"next_cursor"`
	}
	if err := json.Unmarshal(resp.body, &list); err != nil {
		h.t.Fatal(err)
	}
	return list.Items, list.NextCursor
}

// TestAdminActionsAreAudited: creating the first admin, verifying,
// suspending, reactivating and rotating keys each write an audit entry with the admin as actor and the
// changed field before and after, in the transaction of the change (a
// refused change writes none); delivered to iam (twice), they show once in
// GET /iam/audit, newest first, for admins only.
func TestAdminActionsAreAudited(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	admin := h.admin()
	realtor := h.register(iam.RoleRealtor, "rita")
	customer := h.register(iam.RoleCustomer, "carl")

	steps := []struct {
		body          map[string]any
		action        string
		before, after string
	}{
		{map[string]any{"verified": true}, "user.verified", `{"verified":false}`, `{"verified":true}`},
		{map[string]any{"status": "suspended"}, "user.suspended", `{"status":"active"}`, `{"status":"suspended"}`},
		{map[string]any{"status": "active"}, "user.reactivated", `{"status":"suspended"}`, `{"status":"active"}`},
	}
	for _, s := range steps {
		h.clock.Advance(time.Minute)
		if resp := h.do("PATCH", "/iam/users/"+realtor.id, admin.token, s.body); resp.status != 200 {
			t.Fatalf("PATCH %v = %d %s", s.body, resp.status, resp.body)
		}
	}
	// Refused and no-op changes record nothing.
	if resp := h.do("PATCH", "/iam/users/"+customer.id, admin.token, map[string]any{"verified": false}); resp.status != 422 {
		t.Fatalf("un-verifying a customer = %d", resp.status)
	}
	h.do("PATCH", "/iam/users/"+realtor.id, admin.token, map[string]any{"status": "active"})
	h.clock.Advance(time.Minute)
	resp := h.do("POST", "/iam/keys/rotate", admin.token, nil)
	if resp.status != 200 {
		t.Fatalf("rotate = %d %s", resp.status, resp.body)
	}
	newKID := resp.json(t)["kid"].(string)

	all := h.auditEvents()
	if len(all) != len(steps)+2 {
		t.Fatalf("%d audit events, want %d", len(all), len(steps)+2)
	}
	// The first admin's creation (at start-up: iam itself acted).
	var created events.AuditRecorded
	if err := all[0].DataAs(&created); err != nil {
		t.Fatal(err)
	}
	if created.Action != "user.created" || created.ResourceID != admin.id || created.ActorRole != "system" ||
		created.ActorService != "iam" || string(created.Before) != "null" || !strings.Contains(string(created.After), `"role":"admin"`) {
		t.Errorf("admin creation entry = %+v (after %s)", created, created.After)
	}
	evs := all[1:]
	for i, s := range steps {
		var e events.AuditRecorded
		if err := evs[i].DataAs(&e); err != nil {
			t.Fatal(err)
		}
		if e.Action != s.action || e.ActorID != admin.id || e.ActorRole != "admin" || e.ResourceType != "user" ||
			e.ResourceID != realtor.id || string(e.Before) != s.before || string(e.After) != s.after || evs[i].Subject() != realtor.id {
			t.Errorf("entry %d = %+v (before %s after %s), want %s by %s: %s -> %s", i, e, e.Before, e.After, s.action, admin.id, s.before, s.after)
		}
	}
	var rot events.AuditRecorded
	if err := evs[3].DataAs(&rot); err != nil {
		t.Fatal(err)
	}
	var rotAfter map[string]any
	_ = json.Unmarshal(rot.After, &rotAfter)
	if rot.Action != "keys.rotated" || rot.ActorID != admin.id || rot.ResourceID != newKID || rotAfter["current_key_id"] != newKID {
		t.Errorf("rotation entry = %+v after %s", rot, rot.After)
	}

	for _, ev := range all {
		h.deliver(ev)
		h.deliver(ev) // a redelivery stores nothing more
	}
	items, next := h.auditLog(admin.token, "")
	if len(items) != 5 || next != "" {
		t.Fatalf("%d entries (next %q), want 5", len(items), next)
	}
	wantOrder := []string{"keys.rotated", "user.reactivated", "user.suspended", "user.verified", "user.created"}
	for i, it := range items {
		if it.Action != wantOrder[i] || it.Service != "iam" || it.ID != all[len(all)-1-i].ID() {
			t.Errorf("entry %d = %s from %s (id %s), want %s newest first", i, it.Action, it.Service, it.ID, wantOrder[i])
		}
	}
	if items[3].Before["verified"] != false || items[3].After["verified"] != true || items[3].ActorID != admin.id {
		t.Errorf("verified entry = %+v", items[3])
	}

	// Filters and pages.
	if got, _ := h.auditLog(admin.token, "?action=user.suspended"); len(got) != 1 || got[0].Action != "user.suspended" {
		t.Errorf("action filter = %+v", got)
	}
	if got, _ := h.auditLog(admin.token, "?resource_type=user&resource_id="+realtor.id+"&actor_id="+admin.id); len(got) != 3 {
		t.Errorf("resource filter = %d entries, want 3", len(got))
	}
	since := items[2].At.Format(time.RFC3339)
	until := items[0].At.Format(time.RFC3339)
	if got, _ := h.auditLog(admin.token, "?since="+url.QueryEscape(since)+"&until="+url.QueryEscape(until)); len(got) != 2 ||
		got[0].Action != "user.reactivated" || got[1].Action != "user.suspended" {
		t.Errorf("since %s until %s = %+v", since, until, got)
	}
	page1, cursor := h.auditLog(admin.token, "?limit=3")
	page2, end := h.auditLog(admin.token, "?limit=3&cursor="+url.QueryEscape(cursor))
	if len(page1) != 3 || cursor == "" || len(page2) != 2 || end != "" || page2[0].Action != "user.verified" {
		t.Errorf("pages = %d (%q), %d (%q)", len(page1), cursor, len(page2), end)
	}

	for _, q := range []string{"?since=yesterday", "?until=2026-13-01T00:00:00Z", "?since=2026-11-25T12:00:00Z&until=2026-11-25T11:00:00Z",
		"?limit=0", "?cursor=!!", "?action=" + fmt.Sprintf("%0300d", 0)} {
		if resp := h.do("GET", "/iam/audit"+q, admin.token, nil); resp.status != 400 || resp.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET /iam/audit%s = %d %s, want a 400 problem", q, resp.status, resp.header.Get("Content-Type"))
		}
	}
	if resp := h.do("GET", "/iam/audit", customer.token, nil); resp.status != 403 {
		t.Errorf("a customer reading the audit log = %d, want 403", resp.status)
	}
}

// TestIAMStoresEveryServicesAuditEvents: iam subscribes to the audit type
// of each auditing service, and the type the producers build is the one the
// catalogue names.
func TestIAMStoresEveryServicesAuditEvents(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	for service, typ := range map[string]string{"iam": events.TypeIAMAuditRecorded,
		"payment": events.TypePaymentAuditRecorded, "tour": events.TypeTourAuditRecorded} {
		if audit.Type(service) != typ {
			t.Errorf("audit.Type(%s) = %s, the catalogue says %s", service, audit.Type(service), typ)
		}
		found := false
		for _, sub := range h.svc.Subscriptions() {
			if _, ok := sub.Handlers[typ]; ok && sub.Stream == service && sub.Consumer == "iam" {
				found = true
			}
		}
		if !found {
			t.Errorf("iam does not consume %s from the %s stream", typ, service)
		}
	}
	seen := map[string]bool{}
	for _, sub := range h.svc.Subscriptions() {
		if seen[sub.Stream] {
			t.Errorf("two iam subscriptions on the %s stream: one durable per stream", sub.Stream)
		}
		seen[sub.Stream] = true
	}
}

// TestAuditStore runs the audit log's storage on SQLite and PostgreSQL:
// an entry stored twice is kept once, and queries filter and page newest
// first (ties in time broken by id).
func TestAuditStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		h := newHarness(t, open)
		base := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
		entry := func(id, actor, action, resource string, at time.Time) iam.AuditEntry {
			return iam.AuditEntry{ID: id, Service: "payment", ActorID: actor, ActorRole: "admin", Action: action,
				ResourceType: "payment", ResourceID: resource, Before: json.RawMessage(`{"status":"succeeded"}`),
				After: json.RawMessage(`{"status":"refunded"}`), At: at, RequestID: "r-" + id}
		}
		all := []iam.AuditEntry{
			entry("a", "u-1", "payment.refunded", "p-1", base),
			entry("b", "u-2", "payment.refunded", "p-2", base.Add(time.Second)),
			entry("c", "u-1", "payment.created", "p-3", base.Add(time.Second)),
			entry("d", "u-1", "payment.refunded", "p-3", base.Add(2*time.Second)),
		}
		all[0].Before = nil // a creation has no before
		for _, e := range append(all, all...) {
			if err := h.store.PutAuditEntry(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		ids := func(es []iam.AuditEntry) string {
			s := ""
			for _, e := range es {
				s += e.ID
			}
			return s
		}
		tests := []struct {
			name  string
			f     iam.AuditFilter
			after iam.AuditCursor
			limit int
			want  string
		}{
			{"all, newest first, ties by id", iam.AuditFilter{}, iam.AuditCursor{}, 10, "dcba"},
			{"a page", iam.AuditFilter{}, iam.AuditCursor{}, 2, "dc"},
			{"after a tie", iam.AuditFilter{}, iam.AuditCursor{At: base.Add(time.Second), ID: "c"}, 10, "ba"},
			{"actor", iam.AuditFilter{ActorID: "u-1"}, iam.AuditCursor{}, 10, "dca"},
			{"action", iam.AuditFilter{Action: "payment.created"}, iam.AuditCursor{}, 10, "c"},
			{"resource", iam.AuditFilter{ResourceType: "payment", ResourceID: "p-3"}, iam.AuditCursor{}, 10, "dc"},
			{"since (inclusive)", iam.AuditFilter{Since: base.Add(time.Second)}, iam.AuditCursor{}, 10, "dcb"},
			{"until (exclusive)", iam.AuditFilter{Until: base.Add(2 * time.Second)}, iam.AuditCursor{}, 10, "cba"},
			{"nothing", iam.AuditFilter{ActorID: "u-9"}, iam.AuditCursor{}, 10, ""},
		}
		for _, tt := range tests {
			got, err := h.store.AuditEntries(ctx, tt.f, tt.after, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if ids(got) != tt.want {
				t.Errorf("%s: got %q, want %q", tt.name, ids(got), tt.want)
			}
		}
		got, err := h.store.AuditEntries(ctx, iam.AuditFilter{ResourceID: "p-1"}, iam.AuditCursor{}, 1)
		if err != nil || len(got) != 1 {
			t.Fatal(got, err)
		}
		if e := got[0]; string(e.Before) != "null" || string(e.After) != `{"status":"refunded"}` || !e.At.Equal(base) ||
			e.RequestID != "r-a" || e.Service != "payment" || e.ActorID != "u-1" {
			t.Errorf("stored entry = %+v (before %s)", e, e.Before)
		}
	})
}

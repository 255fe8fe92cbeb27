package iam

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// auditEvents are the audit events iam has written to its outbox, in order.
func (h *harness) auditEvents() []bus.Event {
	h.t.Helper()
	return h.outboxEvents(events.TypeIAMAuditRecorded)
}

// TestAdminActionsAreAudited: creating the first admin, verifying,
// suspending, reactivating and rotating keys each write an audit entry with
// the admin as actor and the changed field before and after, in the
// transaction of the change (a refused change writes none). The audit log
// (internal/auditlog) reads them from the bus.
func TestAdminActionsAreAudited(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	admin := h.admin()
	realtor := h.register(roleRealtor, "rita")
	customer := h.register(roleCustomer, "carl")

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
}

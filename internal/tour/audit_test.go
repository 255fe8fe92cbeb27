package tour

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store"
)

func auditEntries(t *testing.T, db *store.DB) []events.AuditRecorded {
	return outboxtest.Data[events.AuditRecorded](t, db, events.TypeTourAuditRecorded)
}

// TestAdminChangesToToursAreAudited: an admin rescheduling or cancelling a
// customer's tour is recorded with the tour before and after; the
// customer doing the same to their own tour is not an admin action.
func TestAdminChangesToToursAreAudited(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	db, svc := h.db, h.svc
	book := func() tour { return h.book("cust-1", time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC)) }
	admin := auth.WithPrincipal(ctx, auth.Principal{ID: "admin-1", Role: auth.RoleAdmin})
	customer := auth.WithPrincipal(ctx, auth.Principal{ID: "cust-1", Role: auth.RoleCustomer})

	mine, theirs := book(), book()
	later := time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)
	if _, err := svc.Reschedule(customer, mine.ID, later); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Cancel(customer, mine.ID, cancelByCustomer, "cust-1"); err != nil {
		t.Fatal(err)
	}
	if n := len(auditEntries(t, db)); n != 0 {
		t.Fatalf("a customer's own changes made %d audit entries", n)
	}

	if _, err := svc.Reschedule(admin, theirs.ID, later); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Cancel(admin, theirs.ID, cancelByAdmin, "admin-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Cancel(admin, theirs.ID, cancelByAdmin, "admin-1"); !errors.Is(err, errFinished) {
		t.Fatalf("cancelling twice = %v", err)
	}
	got := auditEntries(t, db)
	if len(got) != 2 {
		t.Fatalf("%d audit entries, want 2 (a refused change records none)", len(got))
	}
	state := func(raw json.RawMessage) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	for i, want := range []struct{ action, beforeStatus, afterStatus, beforeAt, afterAt string }{
		{"tour.rescheduled", "pending", "pending", "2026-12-02T16:00:00Z", "2026-12-03T17:00:00Z"},
		{"tour.cancelled", "pending", "cancelled", "2026-12-03T17:00:00Z", "2026-12-03T17:00:00Z"},
	} {
		e := got[i]
		before, after := state(e.Before), state(e.After)
		if e.Action != want.action || e.ActorID != "admin-1" || e.ActorRole != "admin" || e.ResourceType != "tour" || e.ResourceID != theirs.ID ||
			before["status"] != want.beforeStatus || after["status"] != want.afterStatus ||
			before["scheduled_at"] != want.beforeAt || after["scheduled_at"] != want.afterAt || after["customer_id"] != "cust-1" {
			t.Errorf("entry %d = %s by %s: %s -> %s; want %+v", i, e.Action, e.ActorID, e.Before, e.After, want)
		}
	}
	if after := state(got[1].After); after["cancel_reason"] != "admin" || after["refund"].(map[string]any)["amount"] != 4000.0 {
		t.Errorf("cancellation after = %s", got[1].After)
	}
}

// TestAdminAnswersAreAudited: an admin approving or declining a home for
// its provider is recorded with where the homes stood before and after; the
// provider answering for their own home is not an admin action, and an
// answer that changes nothing records nothing.
func TestAdminAnswersAreAudited(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	admin := auth.WithPrincipal(ctx, auth.Principal{ID: "admin-1", Role: auth.RoleAdmin})
	provider := auth.WithPrincipal(ctx, auth.Principal{ID: "prov-2", Role: auth.RoleProvider})
	if err := placeAndPay(h.svc, twoHomeOrder("o-a", tourStart, "l-1", "l-2")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Approve(provider, "o-a", "l-2", "prov-2"); err != nil {
		t.Fatal(err)
	}
	if n := len(auditEntries(t, h.db)); n != 0 {
		t.Fatalf("a provider's own answer made %d audit entries", n)
	}
	for range 2 { // the second changes nothing
		if _, err := h.svc.Approve(admin, "o-a", "l-1", "admin-1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := placeAndPay(h.svc, twoHomeOrder("o-b", tourStart, "l-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Decline(admin, "o-b", "l-1", "admin-1"); err != nil {
		t.Fatal(err)
	}
	got := auditEntries(t, h.db)
	if len(got) != 2 {
		t.Fatalf("%d audit entries, want 2", len(got))
	}
	for i, want := range []struct{ action, tour, before, after string }{
		{"tour.stop_approved", "o-a", `{"l-1":"pending","l-2":"approved"}`, `{"l-1":"approved","l-2":"approved"}`},
		{"tour.stop_declined", "o-b", `{"l-1":"pending"}`, `null`},
	} {
		e := got[i]
		var before, after struct {
			Approvals json.RawMessage `json:"approvals"`
		}
		_ = json.Unmarshal(e.Before, &before)
		_ = json.Unmarshal(e.After, &after)
		if len(after.Approvals) == 0 {
			after.Approvals = json.RawMessage("null")
		}
		if e.Action != want.action || e.ActorID != "admin-1" || e.ResourceID != want.tour ||
			string(before.Approvals) != want.before || string(after.Approvals) != want.after {
			t.Errorf("entry %d = %s of %s by %s: %s -> %s; want %+v", i, e.Action, e.ResourceID, e.ActorID, e.Before, e.After, want)
		}
	}
}

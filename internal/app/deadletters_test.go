package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// TestDeadLettersForAdmins: an event no consumer can apply ends in the
// dead-letter stream; admins (only) list it and send it back to its
// consumer.
func TestDeadLettersForAdmins(t *testing.T) {
	cfg := backends(t)["embedded"]
	cfg.AdminEmail, cfg.AdminPassword = "root@dl.example", "the admin passphrase"
	a, c := startApp(t, cfg)
	w := newWorld(t, c, cfg.AdminEmail, cfg.AdminPassword)

	// A payment event whose data the tour service cannot read.
	poison, err := bus.NewEvent(context.Background(), events.TypePaymentSucceeded, "p-1", map[string]any{"payment_id": 7}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Bus().Publish(context.Background(), poison); err != nil {
		t.Fatal(err)
	}
	var seq float64
	eventually(t, "the poison event in the dead letters", 10*time.Second, func() bool {
		status, out := c.call("GET", "/admin/dead-letters", w.admin, nil)
		if status != 200 {
			t.Fatalf("list = %d %v", status, out)
		}
		for _, it := range out["items"].([]any) {
			dl := it.(map[string]any)
			if dl["event_id"] == poison.ID() && dl["consumer"] == "tour" {
				seq = dl["seq"].(float64)
				return true
			}
		}
		return false
	})
	if status, _ := c.call("GET", "/admin/dead-letters", w.customer, nil); status != 403 {
		t.Fatalf("a customer listing dead letters = %d, want 403", status)
	}
	if status, _ := c.call("POST", fmt.Sprintf("/admin/dead-letters/%d/replay", int(seq)), w.customer, nil); status != 403 {
		t.Fatalf("a customer replaying = %d, want 403", status)
	}
	if status, out := c.call("POST", fmt.Sprintf("/admin/dead-letters/%d/replay", int(seq)), w.admin, nil); status != 202 {
		t.Fatalf("replay = %d %v", status, out)
	}
	if status, _ := c.call("POST", fmt.Sprintf("/admin/dead-letters/%d/replay", int(seq)), w.admin, nil); status != 404 {
		t.Fatalf("replaying it again = %d, want 404", status)
	}
	// The replay is in the audit log (once: the refused repeat is not).
	_, me := c.call("GET", "/iam/me", w.admin, nil)
	replayed := c.auditHas(w.admin, fmt.Sprintf("resource_type=dead_letter&resource_id=%d", int(seq)), "dead_letter.replayed")[0]
	if replayed["actor_id"] != me["id"] || side(replayed, "before", "state") != "dead_lettered" || side(replayed, "after", "state") != "replayed" ||
		side(replayed, "before", "event_id") != poison.ID() || side(replayed, "before", "consumer") != "tour" {
		t.Fatalf("replay entry = %v", replayed)
	}
	// Still unreadable, it comes back as a new dead letter: the replay
	// reached the tour consumer again.
	eventually(t, "the replayed event to be dead-lettered again", 10*time.Second, func() bool {
		_, out := c.call("GET", "/admin/dead-letters", w.admin, nil)
		for _, it := range out["items"].([]any) {
			dl := it.(map[string]any)
			if dl["event_id"] == poison.ID() && dl["seq"].(float64) != seq {
				return true
			}
		}
		return false
	})
	if status, _ := c.call("POST", "/admin/dead-letters/abc/replay", w.admin, nil); status != 400 {
		t.Fatalf("bad seq = %d, want 400", status)
	}
}

package payment

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// audits are the audit entries payment has written about resource id, in
// order: its audit events, and the entries its settlement events carry.
// A settlement never has an audit event of its own as well.
func (h *harness) audits(id string) []events.AuditRecorded {
	h.t.Helper()
	var out []events.AuditRecorded
	for _, ev := range outboxtest.Events(h.t, h.db) {
		var e *events.AuditRecorded
		switch ev.Type() {
		case events.TypePaymentAuditRecorded:
			e = new(events.AuditRecorded)
			if err := ev.DataAs(e); err != nil {
				h.t.Fatal(err)
			}
			if e.Action == "payment.succeeded" || e.Action == "payment.failed" {
				h.t.Fatalf("a settlement (%s) has an audit event of its own, besides the entry on %s", e.Action, e.ResourceID)
			}
		case events.TypePaymentSucceeded:
			e = carried(h.t, ev, func(d events.PaymentSucceeded) *events.AuditRecorded { return d.Audit })
		case events.TypePaymentFailed:
			e = carried(h.t, ev, func(d events.PaymentFailed) *events.AuditRecorded { return d.Audit })
		default:
			continue
		}
		if ev.Subject() != e.ResourceID {
			h.t.Fatalf("audit entry about %s on an event about %s", e.ResourceID, ev.Subject())
		}
		if e.ResourceID == id {
			out = append(out, *e)
		}
	}
	return out
}

// carried is the audit entry a settlement event carries; it fails the
// test when there is none.
func carried[T any](t *testing.T, ev bus.Event, entry func(T) *events.AuditRecorded) *events.AuditRecorded {
	t.Helper()
	d, err := bus.DataOf[T](ev)
	if err != nil {
		t.Fatal(err)
	}
	e := entry(d)
	if e == nil {
		t.Fatalf("%s %s carries no audit entry", ev.Type(), ev.ID())
	}
	return e
}

// field reads one field of an entry's before or after ("" when null).
func field(t *testing.T, raw json.RawMessage, name string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	if m == nil {
		return ""
	}
	return m[name]
}

type wantEntry struct {
	action, actorID, actorRole, actorService string
	beforeStatus, afterStatus                any // "" for a null side
}

func checkEntries(t *testing.T, got []events.AuditRecorded, want []wantEntry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		e := got[i]
		if e.Action != w.action || e.ActorID != w.actorID || e.ActorRole != w.actorRole || e.ActorService != w.actorService ||
			field(t, e.Before, "status") != w.beforeStatus || field(t, e.After, "status") != w.afterStatus {
			t.Errorf("entry %d = %s by %s/%s/%s, %s -> %s; want %+v", i, e.Action, e.ActorID, e.ActorRole, e.ActorService, e.Before, e.After, w)
		}
		if e.At.IsZero() || field(t, e.After, "payment_method") != nil {
			t.Errorf("entry %d: at %v, after %s (the method token must not be there)", i, e.At, e.After)
		}
	}
}

// TestMoneyActionsAreAudited: every charge created and settled, every
// refund requested and settled, each with who asked (the cart, an admin,
// the tour service, Stripe's webhook, reconciliation) and the state before
// and after; refused requests record nothing.
func TestMoneyActionsAreAudited(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)

	p := h.paid(customer.ID, 5000)
	checkEntries(t, h.audits(p.ID), []wantEntry{
		{"payment.created", cartSvc.ID, "service", "cart", "", "pending"},
		{"payment.succeeded", cartSvc.ID, "service", "cart", "pending", "succeeded"},
	})

	declined := h.charge("k-declined", chargeBody("o-declined", customer.ID, 700, tokenDeclined))
	readProblem(t, declined, http.StatusPaymentRequired)
	dp := readProblem(t, h.charge("k-declined", chargeBody("o-declined", customer.ID, 700, tokenDeclined)), http.StatusPaymentRequired)
	checkEntries(t, h.audits(dp.PaymentID), []wantEntry{ // the repeat recorded nothing more
		{"payment.created", cartSvc.ID, "service", "cart", "", "pending"},
		{"payment.failed", cartSvc.ID, "service", "cart", "pending", "failed"},
	})

	h.clock.Advance(time.Minute)
	if rec := h.do(&admin, "POST", "/payments/"+p.ID+"/refund", `{"amount":{"amount":2000,"currency":"USD"},"reason":"goodwill"}`); rec.Code != 200 {
		t.Fatalf("admin refund = %d %s", rec.Code, rec.Body)
	}
	if rec := h.do(&tourSvc, "POST", "/payments/"+p.ID+"/refund", `{"reason":"tour cancelled"}`, "Idempotency-Key", "tour-1"); rec.Code != 200 {
		t.Fatalf("tour refund = %d %s", rec.Code, rec.Body)
	}
	before := len(outboxtest.Events(t, h.db))
	readProblem(t, h.do(&admin, "POST", "/payments/"+p.ID+"/refund", ""), http.StatusUnprocessableEntity) // nothing left
	if after := len(outboxtest.Events(t, h.db)); after != before {
		t.Fatalf("a refused refund published %d events", after-before)
	}

	entries := h.audits(p.ID)
	checkEntries(t, entries[2:], []wantEntry{
		{"payment.refunded", admin.ID, "admin", "", "succeeded", "partially_refunded"},
		{"payment.refunded", tourSvc.ID, "service", "tour", "partially_refunded", "refunded"},
	})
	if field(t, entries[2].Before, "refunded").(map[string]any)["amount"] != 0.0 ||
		field(t, entries[2].After, "refunded").(map[string]any)["amount"] != 2000.0 ||
		field(t, entries[3].After, "refunded").(map[string]any)["amount"] != 5000.0 {
		t.Errorf("refunded amounts: %s -> %s -> %s", entries[2].Before, entries[2].After, entries[3].After)
	}
	refunds, err := h.store.Refunds(context.Background(), p.ID)
	if err != nil || len(refunds) != 2 {
		t.Fatal(refunds, err)
	}
	if refunds[0].RequestedBy != admin.ID { // both made at one instant: order by who
		refunds[0], refunds[1] = refunds[1], refunds[0]
	}
	checkEntries(t, h.audits(refunds[0].ID), []wantEntry{
		{"refund.requested", admin.ID, "admin", "", "", "pending"},
		{"refund.succeeded", admin.ID, "admin", "", "pending", "succeeded"},
	})
	checkEntries(t, h.audits(refunds[1].ID), []wantEntry{
		{"refund.requested", tourSvc.ID, "service", "tour", "", "pending"},
		{"refund.succeeded", tourSvc.ID, "service", "tour", "pending", "succeeded"},
	})
	if r := h.audits(refunds[0].ID)[0]; field(t, r.After, "reason") != "goodwill" || field(t, r.After, "payment_id") != p.ID {
		t.Errorf("refund requested = %s", r.After)
	}

	// A webhook has no token: Stripe is the actor.
	id := h.pendingPayment("k-hook")
	body := stripeEvent("payment_intent.succeeded", id, "succeeded", "")
	if rec := h.webhook(body, signed(body, webhookSecret, time.Now())); rec.Code != 200 {
		t.Fatalf("webhook = %d %s", rec.Code, rec.Body)
	}
	checkEntries(t, h.audits(id), []wantEntry{
		{"payment.created", cartSvc.ID, "service", "cart", "", "pending"},
		{"payment.succeeded", "", "webhook", "stripe", "pending", "succeeded"},
	})

	// A charge whose answer was lost, settled by reconciliation: the
	// service itself is the actor.
	lost := h.pendingPayment("k-lost")
	h.clock.Advance(3 * time.Minute)
	if err := h.svc.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkEntries(t, h.audits(lost), []wantEntry{
		{"payment.created", cartSvc.ID, "service", "cart", "", "pending"},
		{"payment.succeeded", "", "system", "payment", "pending", "succeeded"},
	})
}

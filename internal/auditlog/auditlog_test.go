package auditlog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/auditlog"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/apidoc/apidoctest"
	"github.com/openhouse/openhouse/internal/platform/audit"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// harness is the log behind its HTTP API. Callers are named by the
// X-Test-Role header (the app authenticates tokens in front of the routes;
// this package only sees the principal it leaves in the context).
type harness struct {
	t      *testing.T
	log    *auditlog.Log
	store  *auditlog.SQLStore
	server *httptest.Server
}

func newHarness(t *testing.T, open storetest.Opener) *harness {
	t.Helper()
	st, err := auditlog.NewSQLStore(context.Background(), open(t, "iam"))
	if err != nil {
		t.Fatal(err)
	}
	log, err := auditlog.New(st)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	if err := auth.Mount(mux, log.Routes()); err != nil {
		t.Fatal(err)
	}
	asCaller := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if role := r.Header.Get("X-Test-Role"); role != "" {
				r = r.WithContext(auth.WithPrincipal(r.Context(), auth.Principal{ID: "u-" + role, Role: auth.Role(role)}))
			}
			next.ServeHTTP(w, r)
		})
	}
	h := &harness{t: t, log: log, store: st}
	h.server = httptest.NewServer(httpapi.Chain(mux, httpapi.Recover, asCaller, httpapi.MuxErrors))
	t.Cleanup(h.server.Close)
	return h
}

// deliver hands ev to the handler the log subscribed for its type.
func (h *harness) deliver(ev bus.Event) {
	h.t.Helper()
	for _, sub := range h.log.Subscriptions() {
		if handler, ok := sub.Handlers[ev.Type()]; ok {
			if err := handler(context.Background(), ev); err != nil {
				h.t.Fatalf("handle %s: %v", ev.Type(), err)
			}
			return
		}
	}
	h.t.Fatalf("the log does not subscribe to %s", ev.Type())
}

func (h *harness) get(role, query string) (int, http.Header, []byte) {
	h.t.Helper()
	req, err := http.NewRequest("GET", h.server.URL+"/iam/audit"+query, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("X-Test-Role", role)
	resp, err := apidoctest.Client(h.t).Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}

type item struct {
	ID       string         `json:"id"`
	Service  string         `json:"service"`
	ActorID  string         `json:"actor_id"`
	Action   string         `json:"action"`
	Before   map[string]any `json:"before"`
	After    map[string]any `json:"after"`
	At       time.Time      `json:"at"`
	Resource string         `json:"resource_id"`
}

func (h *harness) entries(query string) ([]item, string) {
	h.t.Helper()
	status, _, body := h.get("admin", query)
	if status != 200 {
		h.t.Fatalf("GET /iam/audit%s = %d %s", query, status, body)
	}
	var list struct {
		Items      []item `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		h.t.Fatal(err)
	}
	return list.Items, list.NextCursor
}

// TestAuditEventsReachTheLog: audit events of three services, each
// delivered twice, show once in GET /iam/audit, newest first, with their
// service, actor and before and after; the filters and pages narrow them,
// bad filters are 400 problems, and only admins read the log.
func TestAuditEventsReachTheLog(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	admin := auth.WithPrincipal(context.Background(), auth.Principal{ID: "u-admin", Role: auth.RoleAdmin})
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	changes := []struct {
		service string
		c       audit.Change
	}{
		{"iam", audit.Change{Action: "user.verified", ResourceType: "user", ResourceID: "u-rita",
			Before: map[string]bool{"verified": false}, After: map[string]bool{"verified": true}}},
		{"payment", audit.Change{Action: "payment.refunded", ResourceType: "payment", ResourceID: "p-1",
			Before: map[string]string{"status": "succeeded"}, After: map[string]string{"status": "refunded"}}},
		{"tour", audit.Change{Action: "tour.cancelled", ResourceType: "tour", ResourceID: "t-1",
			Before: map[string]string{"status": "scheduled"}, After: map[string]string{"status": "cancelled"}}},
		{"iam", audit.Change{Action: "user.suspended", ResourceType: "user", ResourceID: "u-rita",
			Before: map[string]string{"status": "active"}, After: map[string]string{"status": "suspended"}}},
	}
	var sent []bus.Event
	for i, c := range changes {
		ev, err := audit.Record(admin, c.service, c.c, t0.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, ev)
		h.deliver(ev)
		h.deliver(ev) // a redelivery stores nothing more
	}

	items, next := h.entries("")
	if len(items) != 4 || next != "" {
		t.Fatalf("%d entries (next %q), want 4", len(items), next)
	}
	for i, it := range items {
		want := changes[len(changes)-1-i]
		if it.Action != want.c.Action || it.Service != want.service || it.ID != sent[len(sent)-1-i].ID() || it.ActorID != "u-admin" {
			t.Errorf("entry %d = %+v, want %s from %s newest first", i, it, want.c.Action, want.service)
		}
	}
	if items[1].Before["status"] != "scheduled" || items[1].After["status"] != "cancelled" {
		t.Errorf("tour entry = %+v", items[1])
	}

	if got, _ := h.entries("?action=user.suspended"); len(got) != 1 || got[0].Action != "user.suspended" {
		t.Errorf("action filter = %+v", got)
	}
	if got, _ := h.entries("?resource_type=user&resource_id=u-rita&actor_id=u-admin"); len(got) != 2 {
		t.Errorf("resource filter = %d entries, want 2", len(got))
	}
	since, until := t0.Add(time.Minute).Format(time.RFC3339), t0.Add(3*time.Minute).Format(time.RFC3339)
	if got, _ := h.entries("?since=" + url.QueryEscape(since) + "&until=" + url.QueryEscape(until)); len(got) != 2 ||
		got[0].Action != "tour.cancelled" || got[1].Action != "payment.refunded" {
		t.Errorf("since %s until %s = %+v", since, until, got)
	}
	page1, cursor := h.entries("?limit=3")
	page2, end := h.entries("?limit=3&cursor=" + url.QueryEscape(cursor))
	if len(page1) != 3 || cursor == "" || len(page2) != 1 || end != "" || page2[0].Action != "user.verified" {
		t.Errorf("pages = %d (%q), %d (%q)", len(page1), cursor, len(page2), end)
	}

	for _, q := range []string{"?since=yesterday", "?until=2026-13-01T00:00:00Z", "?since=2026-11-25T12:00:00Z&until=2026-11-25T11:00:00Z",
		"?limit=0", "?cursor=!!", "?action=" + fmt.Sprintf("%0300d", 0)} {
		if status, header, _ := h.get("admin", q); status != 400 || header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET /iam/audit%s = %d %s, want a 400 problem", q, status, header.Get("Content-Type"))
		}
	}
	if status, _, _ := h.get("customer", ""); status != 403 {
		t.Errorf("a customer reading the audit log = %d, want 403", status)
	}
}

// TestLogConsumesEveryAuditingService: one subscription per auditing
// service's stream, under iam's durable name (the log's consumer before it
// left iam: a new name would replay every stream), for the type the
// producers build and the catalogue names.
func TestLogConsumesEveryAuditingService(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	want := map[string]string{"iam": events.TypeIAMAuditRecorded,
		"payment": events.TypePaymentAuditRecorded, "tour": events.TypeTourAuditRecorded}
	subs := h.log.Subscriptions()
	if len(subs) != len(want) {
		t.Errorf("%d subscriptions, want %d", len(subs), len(want))
	}
	for service, typ := range want {
		if audit.Type(service) != typ {
			t.Errorf("audit.Type(%s) = %s, the catalogue says %s", service, audit.Type(service), typ)
		}
		found := false
		for _, sub := range subs {
			if _, ok := sub.Handlers[typ]; ok && sub.Stream == service && sub.Consumer == "iam" {
				found = true
			}
		}
		if !found {
			t.Errorf("the log does not consume %s from the %s stream as iam", typ, service)
		}
	}
}

// TestMalformedAuditEventIsRefused: an event whose data does not fit, or
// that names no action, is refused and stores nothing.
func TestMalformedAuditEventIsRefused(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	for name, data := range map[string]any{
		"not an entry": map[string]any{"action": 7},
		"no action":    map[string]any{"resource_type": "user", "resource_id": "u-1", "at": time.Now()},
	} {
		ev, err := bus.NewEvent(context.Background(), events.TypePaymentAuditRecorded, "p-1", data, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, sub := range h.log.Subscriptions() {
			if handler, ok := sub.Handlers[ev.Type()]; ok {
				if err := handler(context.Background(), ev); err == nil {
					t.Errorf("%s: accepted", name)
				}
			}
		}
	}
	if got, err := h.store.Entries(context.Background(), auditlog.Filter{}, auditlog.Cursor{}, 10); err != nil || len(got) != 0 {
		t.Fatalf("stored %d entries (%v), want none", len(got), err)
	}
}

// TestSettlementsCarryTheirEntries: a payment's settlement entry rides on
// payment.succeeded or payment.failed. Each is stored once under the
// event's id with everything the entry says, however often the event
// arrives; an event from before the field existed stores nothing (its
// entry came as an audit event, stored once too), on SQLite and
// PostgreSQL.
func TestSettlementsCarryTheirEntries(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		h := newHarness(t, open)
		cart := auth.WithPrincipal(context.Background(), auth.ServicePrincipal("cart"))
		cart = httpapi.WithRequestID(cart, "req-7")
		t0 := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
		usd := events.Money{Amount: 2500, Currency: "USD"}
		entry := func(action, id string, at time.Time) *events.AuditRecorded {
			e, err := audit.New(cart, "payment", audit.Change{Action: action, ResourceType: "payment", ResourceID: id,
				Before: map[string]string{"status": "pending"}, After: map[string]string{"status": action[len("payment."):]}}, at)
			if err != nil {
				t.Fatal(err)
			}
			recorded := events.AuditRecorded(e)
			return &recorded
		}
		event := func(typ, subject string, data any, at time.Time) bus.Event {
			ev, err := bus.NewEvent(context.Background(), typ, subject, data, at)
			if err != nil {
				t.Fatal(err)
			}
			return ev
		}
		succeeded := event(events.TypePaymentSucceeded, "p-1", events.PaymentSucceeded{PaymentID: "p-1", OrderID: "o-1",
			CustomerID: "u-carl", Amount: usd, SucceededAt: t0, Audit: entry("payment.succeeded", "p-1", t0)}, t0)
		failed := event(events.TypePaymentFailed, "p-2", events.PaymentFailed{PaymentID: "p-2", OrderID: "o-2",
			CustomerID: "u-carl", Amount: usd, Reason: "card_declined", FailedAt: t0.Add(time.Minute),
			Audit: entry("payment.failed", "p-2", t0.Add(time.Minute))}, t0.Add(time.Minute))
		// Published before settlements carried their entries: the entry is
		// the audit event beside it.
		oldSucceeded := event(events.TypePaymentSucceeded, "p-3", events.PaymentSucceeded{PaymentID: "p-3", OrderID: "o-3",
			CustomerID: "u-carl", Amount: usd, SucceededAt: t0.Add(2 * time.Minute)}, t0.Add(2*time.Minute))
		oldEntry, err := audit.Record(cart, "payment", audit.Change{Action: "payment.succeeded", ResourceType: "payment", ResourceID: "p-3",
			Before: map[string]string{"status": "pending"}, After: map[string]string{"status": "succeeded"}}, t0.Add(2*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range []bus.Event{succeeded, succeeded, failed, oldSucceeded, oldEntry, failed, oldSucceeded, oldEntry} {
			h.deliver(ev)
		}

		items, _ := h.entries("?resource_type=payment")
		want := []struct{ id, action, resource, after string }{
			{oldEntry.ID(), "payment.succeeded", "p-3", "succeeded"},
			{failed.ID(), "payment.failed", "p-2", "failed"},
			{succeeded.ID(), "payment.succeeded", "p-1", "succeeded"},
		}
		if len(items) != len(want) {
			t.Fatalf("%d entries, want %d: %+v", len(items), len(want), items)
		}
		for i, w := range want {
			it := items[i]
			if it.ID != w.id || it.Action != w.action || it.Resource != w.resource || it.Service != "payment" || it.ActorID != "service:cart" ||
				it.Before["status"] != "pending" || it.After["status"] != w.after {
				t.Errorf("entry %d = %+v, want %+v from service:cart", i, it, w)
			}
		}
		stored, err := h.store.Entries(context.Background(), auditlog.Filter{ResourceID: "p-1"}, auditlog.Cursor{}, 10)
		if err != nil || len(stored) != 1 {
			t.Fatalf("p-1: %d entries (%v), want 1", len(stored), err)
		}
		if e := stored[0]; e.ActorRole != "service" || e.ActorService != "cart" || e.RequestID != "req-7" || !e.At.Equal(t0) {
			t.Errorf("p-1 entry = %+v, want the cart's service call req-7 at %v", e, t0)
		}
	})
}

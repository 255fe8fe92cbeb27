package tour_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
	"github.com/openhouse/openhouse/internal/tour"
)

// oneListing is the listing service's answer for the one home these tests
// tour; the app tests run tours against the real listing service.
type oneListing struct{}

func (oneListing) Get(_ context.Context, id string) (clients.Listing, error) {
	if id != "l-1" {
		return clients.Listing{}, clients.ErrNotFound
	}
	return clients.Listing{ID: id, ProviderID: "prov-1", Status: "active", Title: "Loft",
		Location: events.GeoPoint{Lat: 41.88, Lng: -87.63}, TimeZone: "America/Chicago"}, nil
}

// noRefunds fails the test if the service refunds inline: refunds follow
// tour.cancelled through the bus.
type noRefunds struct{ t *testing.T }

func (r noRefunds) Refund(context.Context, string, string, clients.RefundRequest) (clients.Payment, error) {
	r.t.Error("the tour service refunded inline")
	return clients.Payment{}, errors.New("unexpected")
}

func auditEntries(t *testing.T, db *store.DB) []events.AuditRecorded {
	t.Helper()
	rows, err := db.Query(`SELECT payload FROM outbox WHERE type = $1 ORDER BY seq`, events.TypeTourAuditRecorded)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []events.AuditRecorded
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		ev, err := bus.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		var e events.AuditRecorded
		if err := ev.DataAs(&e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// TestAdminChangesToToursAreAudited: an admin rescheduling or cancelling a
// customer's tour is recorded with the tour before and after; the
// customer doing the same to their own tour is not an admin action.
func TestAdminChangesToToursAreAudited(t *testing.T) {
	ctx := context.Background()
	db := storetest.OpenSQLite(t, "tour")
	if err := outbox.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	c := clock.NewFake(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	st, err := tour.NewSQLStore(ctx, db, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := tour.New(st, oneListing{}, noRefunds{t}, tour.Config{Clock: c, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	book := func(payment string) tour.Tour {
		tr, err := svc.CreateFromPayment(ctx, events.PaymentSucceeded{PaymentID: payment, OrderID: "o-" + payment,
			CustomerID: "cust-1", Amount: usd(4000), ListingIDs: []string{"l-1"},
			ScheduledAt: time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	admin := auth.WithPrincipal(ctx, auth.Principal{ID: "admin-1", Role: auth.RoleAdmin})
	customer := auth.WithPrincipal(ctx, auth.Principal{ID: "cust-1", Role: auth.RoleCustomer})

	mine, theirs := book("p-1"), book("p-2")
	later := time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)
	if _, err := svc.Reschedule(customer, mine.ID, later); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Cancel(customer, mine.ID, tour.ByCustomer, "cust-1"); err != nil {
		t.Fatal(err)
	}
	if n := len(auditEntries(t, db)); n != 0 {
		t.Fatalf("a customer's own changes made %d audit entries", n)
	}

	if _, err := svc.Reschedule(admin, theirs.ID, later); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Cancel(admin, theirs.ID, tour.ByAdmin, "admin-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Cancel(admin, theirs.ID, tour.ByAdmin, "admin-1"); !errors.Is(err, tour.ErrFinished) {
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

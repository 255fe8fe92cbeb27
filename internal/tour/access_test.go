package tour

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
)

// deliver hands svc one event of type typ as its subscription would.
func deliver(t *testing.T, svc *Service, typ string, data any, at time.Time) {
	t.Helper()
	ev, err := bus.NewEvent(context.Background(), typ, "s", data, at)
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range svc.Subscriptions() {
		if h, ok := sub.Handlers[typ]; ok {
			if err := h(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no handler of %s", typ)
}

// assign books realtor on the tour as the appointment service announces it.
func (h *harness) assign(tr tour, realtor string) {
	h.t.Helper()
	now := h.clock.Now()
	deliver(h.t, h.svc, events.TypeAppointmentScheduled, events.AppointmentScheduled{
		Appointment: events.Appointment{AppointmentID: "a-" + realtor, TourID: tr.ID, RealtorID: realtor, CustomerID: tr.CustomerID,
			StartsAt: tr.ScheduledAt, EndsAt: tr.EndsAt, Status: "scheduled"}, ScheduledAt: now}, now)
}

func as(id string, role auth.Role) auth.Principal { return auth.Principal{ID: id, Role: role} }

// TestAccessWindow: the assigned realtor reads a home's access from 30
// minutes before their stop until the tour ends (409 with opens_at
// before, 409 after); anyone else, and a realtor the tour was taken from,
// is told the tour does not exist; a reschedule moves the window; every
// read is audited, without the code.
func TestAccessWindow(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	h.access.byHome["l-1"] = clients.ListingAccess{Instructions: "Side gate lockbox", Code: "4821-secret"}
	start := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC) // 12:00 in Chicago
	tr := h.book("cust-1", start)
	h.assign(tr, "realtor-1")
	realtor := as("realtor-1", auth.RoleRealtor)
	read := func(p auth.Principal) ([]accessItem, error) { return h.svc.Access(ctx, tr.ID, p) }

	// Another tour, booked for 14:00 and moved to 15:00 before its window.
	other := h.book("cust-2", start.Add(2*time.Hour))
	h.assign(other, "realtor-3")
	moved, err := h.svc.Reschedule(auth.WithPrincipal(ctx, as("cust-2", auth.RoleCustomer)), other.ID, start.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	h.assign(moved, "realtor-3")

	h.clock.Set(start.Add(-30*time.Minute - time.Second))
	var closed accessNotOpenError
	if _, err := read(realtor); !errors.As(err, &closed) || !closed.OpensAt.Equal(start.Add(-30*time.Minute)) {
		t.Fatalf("a second before the window: %v", err)
	}
	h.clock.Set(start.Add(-30 * time.Minute))
	items, err := read(realtor)
	if err != nil || len(items) != 1 || items[0].Code != "4821-secret" || items[0].Instructions != "Side gate lockbox" ||
		!items[0].OpensAt.Equal(start.Add(-30*time.Minute)) || !items[0].ClosesAt.Equal(start.Add(30*time.Minute)) {
		t.Fatalf("at the window's opening: %+v, %v", items, err)
	}
	for _, p := range []auth.Principal{as("realtor-2", auth.RoleRealtor), as("cust-1", auth.RoleCustomer), as("prov-1", auth.RoleProvider),
		as("prov-2", auth.RoleProvider), as("admin-1", auth.RoleAdmin), as("realtor-1", auth.RoleCustomer)} {
		if _, err := read(p); !errors.Is(err, errNotFound) {
			t.Errorf("%s %s read the access: %v", p.Role, p.ID, err)
		}
	}

	// Taken from realtor-1 (another realtor booked): at once, no access.
	h.clock.Set(start.Add(-10 * time.Minute))
	h.assign(tr, "realtor-2")
	if _, err := read(realtor); !errors.Is(err, errNotFound) {
		t.Fatalf("the realtor the tour was taken from: %v", err)
	}
	realtor = as("realtor-2", auth.RoleRealtor)
	h.clock.Set(start.Add(30*time.Minute - time.Second))
	if _, err := read(realtor); err != nil {
		t.Fatalf("the new realtor, a second before the end: %v", err)
	}
	h.clock.Set(start.Add(30 * time.Minute))
	if _, err := read(realtor); !errors.As(err, &closed) || !closed.Ended {
		t.Fatalf("at the end: %v", err)
	}

	// The moved tour's window moved with it: closed at its old opening.
	h.clock.Set(start.Add(2*time.Hour - 30*time.Minute))
	if _, err := h.svc.Access(ctx, other.ID, as("realtor-3", auth.RoleRealtor)); !errors.As(err, &closed) || !closed.OpensAt.Equal(start.Add(150*time.Minute)) {
		t.Fatalf("at the old opening after a reschedule: %v", err)
	}

	reads := 0
	for _, e := range auditEntries(t, h.db) {
		if e.Action != "tour.access.read" {
			continue
		}
		reads++
		if strings.Contains(string(e.After), "4821") || strings.Contains(string(e.Before), "4821") || e.ResourceID != tr.ID {
			t.Errorf("audit entry %s %s: %s", e.Action, e.ResourceID, e.After)
		}
	}
	if reads != 2 {
		t.Errorf("%d access reads audited, want 2 (the refused ones are not reads)", reads)
	}
	for _, ev := range outboxtest.Events(t, h.db) {
		if strings.Contains(string(ev.Data()), "4821") {
			t.Errorf("event %s carries the code", ev.Type())
		}
	}
}

// TestAccessOpenedOnce: the realtor is told when the window opens, once,
// across sweeps and a restart; a new realtor is told again.
func TestAccessOpenedOnce(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	start := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	tr := h.book("cust-1", start)
	h.assign(tr, "realtor-1")
	told := func() []events.TourAccessOpened {
		return outboxtest.Data[events.TourAccessOpened](t, h.db, events.TypeTourAccessOpened)
	}
	h.clock.Set(start.Add(-30*time.Minute - time.Second))
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(told()); n != 0 {
		t.Fatalf("told %d times before the window", n)
	}
	h.clock.Set(start.Add(-30 * time.Minute))
	for range 2 {
		if err := h.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	h.restart()
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	got := told()
	if len(got) != 1 || got[0].RealtorID != "realtor-1" || !got[0].OpensAt.Equal(start.Add(-30*time.Minute)) {
		t.Fatalf("told %+v, want realtor-1 once", got)
	}
	h.assign(tr, "realtor-2")
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := told(); len(got) != 2 || got[1].RealtorID != "realtor-2" {
		t.Fatalf("after reassignment told %+v", got)
	}
}

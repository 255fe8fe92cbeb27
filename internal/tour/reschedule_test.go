package tour

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// TestRescheduleOverHTTP: over HTTP, a tour is moved only by its customer
// (another customer is told it does not exist, its realtor may not) to a
// time that keeps the rules, each refusal a problem naming the field and
// leaving the tour as it was. A move frees the realtor until the
// appointment service books the new time from the move's hold: keeping
// its realtor, or with another one who then alone sees the tour; the
// old booking's late news changes nothing, and the time to schedule is
// measured at the first assignment only.
func TestRescheduleOverHTTP(t *testing.T) {
	h := newHarness(t) // now: Wednesday 25 November, 06:00 in Chicago
	c := h.server()
	t0 := h.clock.Now()
	tr := h.book("cust-1", time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC))
	if err := h.assigned(tr.ID, "r-1", t0); err != nil {
		t.Fatal(err)
	}
	path := "/tours/" + tr.ID
	booked := h.tour(tr.ID)
	next := time.Date(2026, 11, 28, 11, 0, 0, 0, chicago)

	for _, r := range []struct {
		name   string
		who    string
		body   any
		status int
		field  string
	}{
		{"another customer", "cust-2", map[string]any{"scheduled_at": next}, http.StatusNotFound, ""},
		{"its realtor", "r-1", map[string]any{"scheduled_at": next}, http.StatusForbidden, ""},
		{"no body", "cust-1", "", http.StatusBadRequest, ""},
		{"not a time", "cust-1", `{"scheduled_at": "tomorrow"}`, http.StatusBadRequest, ""},
		{"no time", "cust-1", `{}`, http.StatusUnprocessableEntity, "scheduled_at"},
		{"within the hour", "cust-1", map[string]any{"scheduled_at": t0.Add(time.Hour)}, http.StatusUnprocessableEntity, "scheduled_at"},
		{"ending after 20:00", "cust-1", map[string]any{"scheduled_at": time.Date(2026, 11, 28, 19, 45, 0, 0, chicago)}, http.StatusUnprocessableEntity, "scheduled_at"},
		{"beyond 90 days", "cust-1", map[string]any{"scheduled_at": next.AddDate(0, 4, 0)}, http.StatusUnprocessableEntity, "scheduled_at"},
	} {
		who := customer(r.who)
		if r.who == "r-1" {
			who = realtor(r.who)
		}
		status, body := c.send(t, http.MethodPatch, path, who, r.body)
		if status != r.status {
			t.Fatalf("%s: %d %v, want %d", r.name, status, body, r.status)
		}
		if r.field != "" {
			if errs, _ := body["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["field"] != r.field {
				t.Fatalf("%s: %v, want the error to name %s", r.name, body, r.field)
			}
		}
	}
	if got := h.tour(tr.ID); got.Version != booked.Version || len(h.desk.holds) != 0 {
		t.Fatalf("refused moves changed the tour (v%d, was v%d) or held a realtor (%v)", got.Version, booked.Version, h.desk.holds)
	}

	status, body := c.send(t, http.MethodPatch, path, customer("cust-1"), map[string]any{"scheduled_at": next})
	if status != http.StatusOK || body["status"] != string(statusPending) || body["realtor_id"] != nil || body["scheduled_at"] != next.UTC().Format(time.RFC3339) {
		t.Fatalf("move = %d %v, want 200 pending without a realtor at %v", status, body, next)
	}
	moved := outboxtest.Data[events.TourRescheduled](t, h.db, events.TypeTourRescheduled)
	if len(moved) != 1 || !moved[0].PreviousScheduledAt.Equal(tr.ScheduledAt) || !h.desk.holds[moved[0].HoldID].StartsAt.Equal(next) {
		t.Fatalf("tour.rescheduled %+v, holds %v: want one from %v holding the new time", moved, h.desk.holds, tr.ScheduledAt)
	}

	// The hold kept r-1; the old booking's release and a decline sent
	// before the new booking arrive after it.
	if err := h.assigned(tr.ID, "r-1", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := h.released(tr.ID, "r-1", "rescheduled", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := h.released(tr.ID, "r-1", "declined", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := h.tour(tr.ID); got.Status != statusScheduled || got.RealtorID != "r-1" || !got.ScheduledAt.Equal(next) {
		t.Fatalf("after the new booking and the old one's news: %s %q %v", got.Status, got.RealtorID, got.ScheduledAt)
	}

	// A second move whose hold found another realtor.
	later := next.AddDate(0, 0, 1)
	if status, body := c.send(t, http.MethodPut, path, customer("cust-1"), map[string]any{"scheduled_at": later}); status != http.StatusOK {
		t.Fatalf("second move = %d %v", status, body)
	}
	if err := h.assigned(tr.ID, "r-2", t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if status, _ := c.send(t, http.MethodGet, path, realtor("r-1"), nil); status != http.StatusNotFound {
		t.Fatalf("the realtor who lost the tour reads it: %d", status)
	}
	if status, body := c.send(t, http.MethodGet, path, realtor("r-2"), nil); status != http.StatusOK || body["realtor_id"] != "r-2" {
		t.Fatalf("its new realtor reads %d %v", status, body)
	}
	_, stats := c.send(t, http.MethodGet, "/tours/stats", admin, nil)
	if tts := stats["time_to_schedule"].(map[string]any); tts["count"] != 1.0 {
		t.Fatalf("time to schedule over %v tours, want the first assignment only", tts["count"])
	}
}

// TestLateChangesGoToAnAdmin: within ChangeBefore of the start its
// customer can neither move nor cancel a tour (422, unchanged); after the
// refund cutoff a customer's cancellation refunds nothing; an admin
// cancels at any time with the whole fee back, once.
func TestLateChangesGoToAnAdmin(t *testing.T) {
	h := newHarness(t)
	c := h.server()
	start := h.clock.Now().Add(48 * time.Hour)
	late, early := h.book("cust-1", start), h.book("cust-1", start)
	for _, tr := range []tour{late, early} {
		if err := h.assigned(tr.ID, "r-1", h.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}

	h.clock.Set(start.Add(-5 * time.Hour))
	status, body := c.send(t, http.MethodDelete, "/tours/"+early.ID, customer("cust-1"), nil)
	if refund, _ := body["refund"].(map[string]any); status != http.StatusOK || refund["amount"] != 0.0 {
		t.Fatalf("customer's DELETE 5 h before = %d %v, want cancelled with nothing back", status, body)
	}

	h.clock.Set(start.Add(-DefaultRules.ChangeBefore + time.Minute))
	for _, method := range []string{http.MethodPatch, http.MethodDelete} {
		status, body := c.send(t, method, "/tours/"+late.ID, customer("cust-1"), map[string]any{"scheduled_at": start.Add(24 * time.Hour)})
		if status != http.StatusUnprocessableEntity {
			t.Fatalf("%s inside ChangeBefore = %d %v, want 422", method, status, body)
		}
	}
	if got := h.tour(late.ID); got.Status != statusScheduled {
		t.Fatalf("the late refusals changed the tour: %s", got.Status)
	}
	status, body = c.send(t, http.MethodDelete, "/tours/"+late.ID, admin, nil)
	if refund, _ := body["refund"].(map[string]any); status != http.StatusOK || body["cancel_reason"] != "admin" || refund["amount"] != 4000.0 {
		t.Fatalf("admin's DELETE = %d %v, want cancelled with 4000 back", status, body)
	}

	for _, ev := range outboxtest.OfType(t, h.db, events.TypeTourCancelled) {
		for range 2 {
			if err := h.redeliver(ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	if r := h.refunds.byKey["tour-cancel:"+late.ID]; h.refunds.count() != 1 || r.Amount.Amount != 4000 {
		t.Fatalf("refunds %v, want 4000 once for the admin's cancellation and none for the late one", h.refunds.byKey)
	}
}

// TestMoveRefusedByTheHomesGivesNoHold: a move onto a day the home has
// its most showings is refused as a checkout would be (422 naming the
// rule and the home), and a move whose tour was cancelled while its
// realtor was held gives that hold back.
func TestMoveRefusedByTheHomesGivesNoHold(t *testing.T) {
	h := newHarness(t)
	c := h.server()
	ctx := context.Background()
	tr := h.book("cust-1", time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC))
	next := time.Date(2026, 11, 28, 11, 0, 0, 0, chicago)

	h.access.setRules("l-1", events.Showing{Mode: events.ShowingAuto, MaxPerDay: 2})
	h.desk.full = true
	status, body := c.send(t, http.MethodPatch, "/tours/"+tr.ID, customer("cust-1"), map[string]any{"scheduled_at": next})
	if status != http.StatusUnprocessableEntity || body["type"] != tourplan.TypeShowingRule || body["rule"] != tourplan.RuleMaxPerDay || body["listing_id"] != "l-1" {
		t.Fatalf("a move onto a full day = %d %v", status, body)
	}
	h.desk.full = false

	racing := &cancelledMeanwhile{SQLStore: h.store}
	svc := h.serviceOn(racing)
	racing.arm = true
	if _, err := svc.Reschedule(ctx, tr.ID, next); !errors.Is(err, errFinished) {
		t.Fatalf("a move of a tour cancelled meanwhile = %v, want ErrFinished", err)
	}
	if len(h.desk.holds) != 1 || len(h.desk.released) != 1 || h.desk.holds[h.desk.released[0]].TourID != tr.ID {
		t.Fatalf("holds %v, released %v: want the move's hold given back", h.desk.holds, h.desk.released)
	}
	if got := h.tour(tr.ID); got.Status != statusCancelled || len(outboxtest.OfType(t, h.db, events.TypeTourRescheduled)) != 0 {
		t.Fatalf("the tour is %s with a reschedule recorded", got.Status)
	}
}

// cancelledMeanwhile is the store with an admin's cancellation landing
// between a move's hold and its write, once armed.
type cancelledMeanwhile struct {
	*SQLStore
	arm bool
}

func (s *cancelledMeanwhile) Update(ctx context.Context, id, eventID string, change func(t *tour) ([]bus.Event, error)) (tour, error) {
	if s.arm {
		s.arm = false
		if _, err := s.SQLStore.Update(ctx, id, "", func(t *tour) ([]bus.Event, error) {
			return nil, t.Cancel(cancelByAdmin, "admin", t.UpdatedAt, DefaultRules)
		}); err != nil {
			return tour{}, err
		}
	}
	return s.SQLStore.Update(ctx, id, eventID, change)
}

// unreachableDesk is an appointment service that does not answer holds.
type unreachableDesk struct{ *desk }

func (unreachableDesk) PlaceHold(context.Context, clients.HoldRequest) (clients.Hold, error) {
	return clients.Hold{}, fmt.Errorf("hold: %w", clients.ErrUnavailable)
}

// TestMovesNobodyCanHold: a move to a start off the grid of open times
// holds nobody and is refused with the nearest open times (409
// slot-taken); with the appointment service unreachable it is a 503; the
// tour is unchanged either way.
func TestMovesNobodyCanHold(t *testing.T) {
	h := newHarness(t)
	c := h.server()
	tr := h.book("cust-1", time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC))
	path := "/tours/" + tr.ID

	status, body := c.send(t, http.MethodPatch, path, customer("cust-1"), map[string]any{"scheduled_at": time.Date(2026, 11, 28, 11, 7, 0, 0, chicago)})
	alts, _ := body["alternatives"].([]any)
	if status != http.StatusConflict || body["type"] != typeSlotTaken || len(alts) != maxAlternatives || len(h.desk.holds) != 0 {
		t.Fatalf("an off-grid move = %d %v, holds %v; want 409 slot-taken with %d alternatives, no hold", status, body, h.desk.holds, maxAlternatives)
	}
	if first := alts[0].(map[string]any)["start"]; first != "2026-11-28T11:00:00-06:00" {
		t.Fatalf("nearest alternative %v, want 11:00 that day", first)
	}

	down, err := New(h.store, Peers{Payments: h.refunds, Holds: unreachableDesk{h.desk}, Slots: openBook{}, Access: h.access, Listings: h.access},
		Config{Clock: h.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	h.svc = down
	status, body = h.server().send(t, http.MethodPatch, path, customer("cust-1"), map[string]any{"scheduled_at": time.Date(2026, 11, 28, 11, 0, 0, 0, chicago)})
	if status != http.StatusServiceUnavailable {
		t.Fatalf("with appointments down = %d %v, want 503", status, body)
	}
	if got := h.tour(tr.ID); got.Version != tr.Version || !got.ScheduledAt.Equal(tr.ScheduledAt) {
		t.Fatalf("refused moves changed the tour: %+v", got)
	}
}

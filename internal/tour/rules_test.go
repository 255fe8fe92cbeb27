package tour

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
)

// TestOrderBecomesATourOnce: an order is ready for its tour only once it
// is both placed and paid and has none yet; a failed payment closes it,
// while a failure reported after its tour leaves it toured. Its tour takes
// the order's route in UTC, with approval pending for the homes whose
// providers confirm each showing.
func TestOrderBecomesATourOnce(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	placed := oneHomeOrder("o-1", "cust-1", time.Date(2026, 11, 27, 10, 0, 0, 0, chicago))
	placed.Stops = append(placed.Stops, events.OrderStop{ListingID: "l-2", ProviderID: "prov-2",
		Showing: events.Showing{Mode: events.ShowingConfirm}, TourFee: usd(1000)})
	for _, c := range []struct {
		name  string
		steps func(o *order)
		ready bool
	}{
		{"placed only", func(o *order) { o.Place(placed, now) }, false},
		{"paid only", func(o *order) { o.Pay("pay-1", usd(5000), now) }, false},
		{"placed and paid", func(o *order) { o.Pay("pay-1", usd(5000), now); o.Place(placed, now) }, true},
		{"failed, then both", func(o *order) { o.Fail(now); o.Place(placed, now); o.Pay("pay-1", usd(5000), now) }, false},
	} {
		o := order{ID: "o-1"}
		c.steps(&o)
		if o.Ready() != c.ready {
			t.Errorf("%s: ready %v, want %v", c.name, o.Ready(), c.ready)
		}
	}

	o := order{ID: "o-1"}
	o.Place(placed, now)
	o.Pay("pay-1", usd(5000), now)
	tr := o.Tour(now)
	if o.Ready() || o.State != orderToured {
		t.Fatalf("after its tour the order is %s, ready %v", o.State, o.Ready())
	}
	if o.Fail(now); o.State != orderToured {
		t.Fatalf("a late failure made the toured order %s", o.State)
	}
	if tr.ID != "o-1" || tr.PaymentID != "pay-1" || tr.Paid != usd(5000) || tr.Status != statusPending || tr.Version != 1 ||
		tr.ScheduledAt.Location() != time.UTC || !tr.ScheduledAt.Equal(placed.ScheduledAt) || len(tr.Stops) != 2 {
		t.Fatalf("tour = %+v", tr)
	}
	if tr.Stops[0].Approval != approvalNone || tr.Stops[1].Approval != approvalPending || tr.Stops[1].Fee != usd(1000) {
		t.Fatalf("stops = %+v, want only the confirming home pending approval", tr.Stops)
	}
}

// TestGiveUpOnlyAWaitThatIsOver: only an unassigned tour is given up,
// once it has waited UnassignedWait or starts within ChangeBefore; a
// second unassignment while waiting does not restart the wait.
func TestGiveUpOnlyAWaitThatIsOver(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	r := DefaultRules
	for _, c := range []struct {
		name   string
		status status
		waited time.Duration
		starts time.Duration
		want   bool
	}{
		{"unassigned, just now", statusUnassigned, 0, 48 * time.Hour, false},
		{"unassigned, a minute short", statusUnassigned, r.UnassignedWait - time.Minute, 48 * time.Hour, false},
		{"unassigned, the whole wait", statusUnassigned, r.UnassignedWait, 48 * time.Hour, true},
		{"unassigned, starting within ChangeBefore", statusUnassigned, 0, r.ChangeBefore, true},
		{"pending, long ago", statusPending, 48 * time.Hour, time.Hour, false},
		{"scheduled, starting soon", statusScheduled, 48 * time.Hour, time.Hour, false},
	} {
		tr := tour{Status: c.status, UnassignedAt: now.Add(-c.waited), ScheduledAt: now.Add(c.starts)}
		if got := tr.GiveUp(now, r); got != c.want {
			t.Errorf("%s: GiveUp = %v, want %v", c.name, got, c.want)
		}
	}

	tr := tour{Status: statusPending, ScheduledAt: now.Add(48 * time.Hour)}
	if !tr.Unassign(now, now) || tr.Status != statusUnassigned || !tr.UnassignedAt.Equal(now) {
		t.Fatalf("first unassignment: %s since %v", tr.Status, tr.UnassignedAt)
	}
	version := tr.Version
	if tr.Unassign(now.Add(time.Hour), now.Add(time.Hour)) || tr.Version != version || !tr.UnassignedAt.Equal(now) {
		t.Fatalf("a second unassignment while waiting changed the tour: v%d since %v", tr.Version, tr.UnassignedAt)
	}
	for _, s := range []status{statusCancelled, statusCompleted} {
		done := tour{Status: s}
		if done.Active() || done.Assign("r-1", now, now) || done.Unassign(now, now) {
			t.Errorf("a %s tour took appointment news", s)
		}
	}
}

// TestPlanKeepsEachHomesVisitLength: a move times the route again with
// each home's own visit length (45 minutes here, from its showing rules
// at checkout), not the platform's default.
func TestPlanKeepsEachHomesVisitLength(t *testing.T) {
	old := time.Date(2026, 11, 26, 10, 0, 0, 0, chicago)
	tr := tour{TimeZone: "America/Chicago", Stops: []stop{
		{ListingID: "a", Location: loop, Arrive: old, Leave: old.Add(45 * time.Minute)},
		{ListingID: "b", Location: loop, Arrive: old.Add(45 * time.Minute), Leave: old.Add(75 * time.Minute)},
	}}
	start := old.Add(24 * time.Hour)
	if err := tr.Plan(start, DefaultRules); err != nil {
		t.Fatal(err)
	}
	if !tr.Stops[0].Leave.Equal(start.Add(45*time.Minute)) || tr.EndsAt.Sub(start) != 75*time.Minute {
		t.Fatalf("first stop leaves at %v, tour lasts %v; want 45 min and 75 min", tr.Stops[0].Leave, tr.EndsAt.Sub(start))
	}
	if err := (&tour{TimeZone: "Mars/Olympus", Stops: tr.Stops}).Plan(start, DefaultRules); err == nil {
		t.Fatal("a tour in an unknown time zone was planned")
	}
}

// closedBook is an availability service that does not answer.
type closedBook struct{}

func (closedBook) Slots(context.Context, clients.SlotQuery) ([]time.Time, error) {
	return nil, fmt.Errorf("availability: %w", clients.ErrUnavailable)
}

// TestSlotsOverHTTP: GET /tours/{id}/slots answers the tour's customer
// with the open starts on the homes' clock, names a bad parameter in a
// 400, hides another's tour (404), refuses its realtor (403), and says
// 503 when availability cannot be read.
func TestSlotsOverHTTP(t *testing.T) {
	h := newHarness(t)
	tr := h.book("cust-1", time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC))
	if err := h.assigned(tr.ID, "r-1", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	c := h.server()
	path := "/tours/" + tr.ID + "/slots"
	status, body := c.send(t, http.MethodGet, path+"?from=2026-11-28&days=1", customer("cust-1"), nil)
	if items, _ := body["items"].([]any); status != http.StatusOK || body["time_zone"] != "America/Chicago" || len(items) != 47 ||
		items[0].(map[string]any)["start"] != "2026-11-28T08:00:00-06:00" {
		t.Fatalf("slots = %d %v", status, body)
	}
	for _, bad := range []struct{ query, field string }{{"days=0", "days"}, {"from=tomorrow", "from"}, {"hours=3", "hours"}} {
		status, body := c.send(t, http.MethodGet, path+"?"+bad.query, customer("cust-1"), nil)
		if errs, _ := body["errors"].([]any); status != http.StatusBadRequest || len(errs) != 1 || errs[0].(map[string]any)["field"] != bad.field {
			t.Errorf("?%s = %d %v, want a 400 naming %s", bad.query, status, body, bad.field)
		}
	}
	if status, _ := c.send(t, http.MethodGet, path, customer("cust-2"), nil); status != http.StatusNotFound {
		t.Errorf("another customer's = %d, want 404", status)
	}
	if status, _ := c.send(t, http.MethodGet, path, realtor("r-1"), nil); status != http.StatusForbidden {
		t.Errorf("its realtor's = %d, want 403", status)
	}

	down, err := New(h.store, Peers{Payments: h.refunds, Holds: h.desk, Slots: closedBook{}, Access: h.access, Listings: h.access},
		Config{Clock: h.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	h.svc = down
	if status, body := h.server().send(t, http.MethodGet, path, customer("cust-1"), nil); status != http.StatusServiceUnavailable {
		t.Errorf("with availability down = %d %v, want 503", status, body)
	}
}

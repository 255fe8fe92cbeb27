package tour

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
)

// TestWorkerCompletesToursWhenTheyEnd: the worker, on the service's clock,
// leaves a scheduled tour alone until its end and then completes it once
// (tour.completed); a tour no realtor took that starts within ChangeBefore
// is given up at once, however short its wait; the worker stops when its
// context ends.
func TestWorkerCompletesToursWhenTheyEnd(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	tr := h.book("cust-1", h.clock.Now().Add(3*time.Hour))
	if err := h.assigned(tr.ID, "r-1", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	soon := h.book("cust-2", h.clock.Now().Add(3*time.Hour))
	stopped := make(chan error, 1)
	go func() { stopped <- h.svc.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-stopped; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	}()
	waitForWorker := func() {
		t.Helper()
		if !h.clock.WaitForWaiters(1, time.After(10*time.Second)) {
			t.Fatal("the worker never waited for its next round")
		}
	}
	waitForWorker()

	// An hour and a half before its start, soon's realtor search fails.
	h.clock.Advance(90 * time.Minute)
	waitForWorker()
	if err := h.deliver(events.TypeAppointmentUnassigned, soon.ID, events.AppointmentUnassigned{TourID: soon.ID, At: h.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if got := h.tour(soon.ID); got.Status != statusUnassigned {
		t.Fatalf("soon is %s, want unassigned", got.Status)
	}
	h.clock.Advance(time.Minute) // the next round
	waitUntil(t, func() bool { return h.tour(soon.ID).Status == statusCancelled })
	if got := h.tour(soon.ID); got.CancelReason != "no_realtor" || got.Refund.Amount != 4000 {
		t.Fatalf("soon given up as %q refunding %v", got.CancelReason, got.Refund)
	}

	waitForWorker()
	if got := h.tour(tr.ID); got.Status != statusScheduled {
		t.Fatalf("before its end the tour is %s", got.Status)
	}
	h.clock.Set(tr.EndsAt)
	waitUntil(t, func() bool { return h.tour(tr.ID).Status == statusCompleted })
	for range 2 {
		waitForWorker()
		h.clock.Advance(time.Minute)
	}
	waitForWorker()
	if n := len(outboxtest.OfType(t, h.db, events.TypeTourCompleted)); n != 1 {
		t.Fatalf("%d tour.completed after three rounds, want 1", n)
	}
}

// waitUntil waits for cond, failing the test after 10 s.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestUnassignedGaugesAndTimeToSchedule: the service's metrics count the
// tours waiting for a realtor and the age of the oldest (from its
// creation), and observe the time from payment to the first realtor,
// as an admin's overview shows them too.
func TestUnassignedGaugesAndTimeToSchedule(t *testing.T) {
	h := newHarness(t)
	reg := prometheus.NewRegistry()
	svc, err := New(h.store, Peers{Payments: h.refunds, Holds: h.desk, Slots: openBook{}, Access: h.access, Listings: h.access},
		Config{Clock: h.clock, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	gauges := func() (count, age float64) {
		t.Helper()
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			switch f.GetName() {
			case "openhouse_tours_unassigned":
				count = f.GetMetric()[0].GetGauge().GetValue()
			case "openhouse_tours_unassigned_oldest_seconds":
				age = f.GetMetric()[0].GetGauge().GetValue()
			}
		}
		return count, age
	}
	if n, age := gauges(); n != 0 || age != 0 {
		t.Fatalf("with no tours: %v unassigned, oldest %v s", n, age)
	}

	first := h.book("cust-1", h.clock.Now().Add(72*time.Hour))
	h.clock.Advance(10 * time.Minute)
	second := h.book("cust-2", h.clock.Now().Add(72*time.Hour))
	for _, tr := range []tour{first, second} {
		ev := mustEvent(t, h, events.TypeAppointmentUnassigned, tr.ID, events.AppointmentUnassigned{TourID: tr.ID, At: h.clock.Now()})
		if err := handleWith(t, svc, ev); err != nil {
			t.Fatal(err)
		}
	}
	h.clock.Advance(5 * time.Minute)
	if n, age := gauges(); n != 2 || age != (15*time.Minute).Seconds() {
		t.Fatalf("two waiting: %v unassigned, oldest %v s; want 2, 900", n, age)
	}

	ev := mustEvent(t, h, events.TypeAppointmentScheduled, first.ID, events.AppointmentScheduled{
		Appointment: events.Appointment{TourID: first.ID, RealtorID: "r-1"}, ScheduledAt: h.clock.Now()})
	for range 2 {
		if err := handleWith(t, svc, ev); err != nil {
			t.Fatal(err)
		}
	}
	if n, age := gauges(); n != 1 || age != (5*time.Minute).Seconds() {
		t.Fatalf("one waiting: %v unassigned, oldest %v s; want 1, 300", n, age)
	}
	m := &dto.Metric{}
	families, _ := reg.Gather()
	for _, f := range families {
		if f.GetName() == "openhouse_tour_time_to_schedule_seconds" {
			m = f.GetMetric()[0]
		}
	}
	if hist := m.GetHistogram(); hist.GetSampleCount() != 1 || hist.GetSampleSum() != (15*time.Minute).Seconds() {
		t.Fatalf("time to schedule: %d samples summing %v s; want one of 900", hist.GetSampleCount(), hist.GetSampleSum())
	}

	c := h.server()
	_, stats := c.send(t, "GET", "/tours/stats?hours=1", admin, nil)
	if u := stats["unassigned"].(map[string]any); u["count"] != 1.0 || u["oldest_created_at"] != second.CreatedAt.Format(time.RFC3339) {
		t.Fatalf("overview's unassigned = %v, want 1 since %v", u, second.CreatedAt)
	}
}

// TestListOverHTTP: GET /tours lists a customer's own tours (a
// customer_id asking for another's is ignored), a realtor's assigned
// ones, every tour for an admin (narrowed as asked), by status or order,
// in pages; a provider has none, and bad filters are 400s.
func TestListOverHTTP(t *testing.T) {
	h := newHarness(t)
	c := h.server()
	start := h.clock.Now().Add(48 * time.Hour)
	a, b := h.book("cust-1", start), h.book("cust-1", start.Add(24*time.Hour))
	other := h.book("cust-2", start)
	if err := h.assigned(b.ID, "r-1", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	list := func(who string, query string) []string {
		t.Helper()
		p := customer(who)
		switch {
		case strings.HasPrefix(who, "r-"):
			p = realtor(who)
		case who == "admin":
			p = admin
		}
		status, body := c.send(t, "GET", "/tours?"+query, p, nil)
		if status != 200 {
			t.Fatalf("GET /tours?%s as %s = %d %v", query, who, status, body)
		}
		ids := []string{}
		for _, it := range body["items"].([]any) {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		return ids
	}
	for _, c := range []struct {
		who, query string
		want       []string
	}{
		{"cust-1", "", []string{a.ID, b.ID}},
		{"cust-1", "customer_id=cust-2", []string{a.ID, b.ID}},
		{"cust-1", "status=scheduled", []string{b.ID}},
		{"cust-1", "order_id=" + other.OrderID, []string{}},
		{"r-1", "", []string{b.ID}},
		{"r-2", "", []string{}},
		{"admin", "", []string{a.ID, other.ID, b.ID}},
		{"admin", "customer_id=cust-2", []string{other.ID}},
		{"admin", "realtor_id=r-1", []string{b.ID}},
		{"admin", "status=pending", []string{a.ID, other.ID}},
	} {
		if got := list(c.who, c.query); strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("GET /tours?%s as %s = %v, want %v", c.query, c.who, got, c.want)
		}
	}

	var paged []string
	for q := "limit=1"; ; {
		_, body := c.send(t, "GET", "/tours?"+q, admin, nil)
		for _, it := range body["items"].([]any) {
			paged = append(paged, it.(map[string]any)["id"].(string))
		}
		next, _ := body["next_cursor"].(string)
		if next == "" {
			break
		}
		q = "limit=1&cursor=" + url.QueryEscape(next)
	}
	if strings.Join(paged, ",") != strings.Join([]string{a.ID, other.ID, b.ID}, ",") {
		t.Errorf("pages of one = %v", paged)
	}

	for _, bad := range []string{"status=lost", "order_id=" + strings.Repeat("x", 256), "limit=0", "cursor=nonsense"} {
		if status, body := c.send(t, "GET", "/tours?"+bad, customer("cust-1"), nil); status != 400 || body["status"] != 400.0 {
			t.Errorf("GET /tours?%.40s = %d %v, want a 400 problem", bad, status, body)
		}
	}
	if status, _ := c.send(t, "GET", "/tours", provider("prov-1"), nil); status != 403 {
		t.Errorf("a provider's GET /tours = %d, want 403", status)
	}
}

// TestUnassignedWaitStartsAgainAfterAnAssignment: a tour that waited for
// a realtor, was taken, and lost its realtor later (a decline no one else
// could take) waits UnassignedWait again from then before it is given
// up, rather than being cancelled at once for its first wait.
func TestUnassignedWaitStartsAgainAfterAnAssignment(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tr := h.book("cust-1", h.clock.Now().Add(72*time.Hour))
	unassigned := func() {
		t.Helper()
		if err := h.deliver(events.TypeAppointmentUnassigned, tr.ID, events.AppointmentUnassigned{TourID: tr.ID, At: h.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	unassigned()
	h.clock.Advance(time.Hour)
	if err := h.assigned(tr.ID, "r-1", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(24 * time.Hour)
	if err := h.released(tr.ID, "r-1", "declined", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	unassigned()

	h.clock.Advance(DefaultRules.UnassignedWait - time.Minute)
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.tour(tr.ID); got.Status != statusUnassigned {
		t.Fatalf("a minute before its second wait is over the tour is %s (%s), want still unassigned", got.Status, got.CancelReason)
	}
	h.clock.Advance(time.Minute)
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.tour(tr.ID); got.Status != statusCancelled || got.CancelReason != "no_realtor" {
		t.Fatalf("after its second wait the tour is %s (%s), want cancelled for no_realtor", got.Status, got.CancelReason)
	}
}

// TestTimeToScheduleMeasuresTheFirstAssignmentOnly: the time from payment
// to a realtor is observed when a realtor first takes the tour, not again
// when another takes it after the first declined and no one was free.
func TestTimeToScheduleMeasuresTheFirstAssignmentOnly(t *testing.T) {
	h := newHarness(t)
	reg := prometheus.NewRegistry()
	svc, err := New(h.store, Peers{Payments: h.refunds, Holds: h.desk, Slots: openBook{}, Access: h.access, Listings: h.access},
		Config{Clock: h.clock, Metrics: reg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	h.svc = svc
	tr := h.book("cust-1", h.clock.Now().Add(72*time.Hour))
	t0 := h.clock.Now()
	if err := h.assigned(tr.ID, "r-1", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := h.released(tr.ID, "r-1", "declined", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := h.deliver(events.TypeAppointmentUnassigned, tr.ID, events.AppointmentUnassigned{TourID: tr.ID, At: t0.Add(3 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := h.assigned(tr.ID, "r-2", t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := h.tour(tr.ID); got.RealtorID != "r-2" || !got.FirstAssignedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("the tour's realtor is %q, first assigned at %v; want r-2, first r-1's at %v", got.RealtorID, got.FirstAssignedAt, t0.Add(time.Minute))
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "openhouse_tour_time_to_schedule_seconds" {
			if hist := f.GetMetric()[0].GetHistogram(); hist.GetSampleCount() != 1 || hist.GetSampleSum() != 60 {
				t.Fatalf("time to schedule: %d samples summing %v s; want the first assignment's 60 s only", hist.GetSampleCount(), hist.GetSampleSum())
			}
			return
		}
	}
	t.Fatal("no openhouse_tour_time_to_schedule_seconds")
}

package tour

import (
	"errors"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
)

var (
	chicago, _ = time.LoadLocation("America/Chicago")
	loop       = events.GeoPoint{Lat: 41.8781, Lng: -87.6298}
	wicker     = events.GeoPoint{Lat: 41.9088, Lng: -87.6796}
	evanston   = events.GeoPoint{Lat: 42.0451, Lng: -87.6877}
	hydePark   = events.GeoPoint{Lat: 41.7943, Lng: -87.5907}
)

func usd(n int64) events.Money { return events.Money{Amount: n, Currency: "USD"} }

func stops(points ...events.GeoPoint) []stop {
	out := make([]stop, len(points))
	for i, p := range points {
		out[i] = stop{ListingID: string(rune('a' + i)), Location: p}
	}
	return out
}

// TestPlan: a tour moves keeping its route (tourplan's tests cover the
// order itself), each stop timed again from the new start.
func TestPlan(t *testing.T) {
	tr := tour{Stops: stops(loop, wicker), TimeZone: "America/Chicago"}
	start := time.Date(2026, 11, 26, 10, 0, 0, 0, chicago)
	if err := tr.Plan(start, DefaultRules); err != nil {
		t.Fatal(err)
	}
	// 30 min at the Loop, ~5.35 km at 40 km/h (8.03, so 9 min), 30 min at Wicker Park.
	if got := tr.EndsAt.Sub(start); got != 69*time.Minute {
		t.Fatalf("tour length = %v, want 69m", got)
	}
	if !tr.Stops[1].Arrive.Equal(start.Add(39*time.Minute)) || !tr.ScheduledAt.Equal(start) {
		t.Fatalf("stops = %+v", tr.Stops)
	}
	late := time.Date(2026, 11, 26, 19, 30, 0, 0, chicago)
	var rule ruleError
	if err := tr.Plan(late, DefaultRules); !errors.As(err, &rule) {
		t.Fatalf("a tour ending after 20:00 = %v", err)
	}
}

func TestCancelRefunds(t *testing.T) {
	start := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	base := tour{Status: statusScheduled, ScheduledAt: start, Paid: usd(4000), RealtorID: "r"}
	cases := []struct {
		name   string
		status status
		by     cancelBy
		before time.Duration
		refund int64
		err    error
	}{
		{"customer, two days ahead", statusScheduled, cancelByCustomer, 48 * time.Hour, 4000, nil},
		{"customer, exactly the cutoff", statusScheduled, cancelByCustomer, 24 * time.Hour, 4000, nil},
		{"customer, after the cutoff", statusScheduled, cancelByCustomer, 5 * time.Hour, 0, nil},
		{"customer, unassigned tour, late", statusUnassigned, cancelByCustomer, 5 * time.Hour, 4000, nil},
		{"customer, too late to change", statusScheduled, cancelByCustomer, time.Hour, 0, errTooLate},
		{"admin, late", statusScheduled, cancelByAdmin, time.Hour, 4000, nil},
		{"system", statusPending, cancelBySystem, 30 * time.Minute, 4000, nil},
		{"already cancelled", statusCancelled, cancelByAdmin, 48 * time.Hour, 0, errFinished},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := base
			tr.Status = c.status
			err := tr.Cancel(c.by, "x", start.Add(-c.before), DefaultRules)
			if !errors.Is(err, c.err) {
				t.Fatalf("Cancel = %v, want %v", err, c.err)
			}
			if err == nil && (tr.Refund.Amount != c.refund || tr.Status != statusCancelled) {
				t.Fatalf("refund = %v, status %s; want %d", tr.Refund, tr.Status, c.refund)
			}
		})
	}
}

func TestAssignmentNewsInOrder(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tr := tour{Status: statusPending, ScheduledAt: t0.Add(48 * time.Hour), EndsAt: t0.Add(49 * time.Hour)}
	if !tr.Assign("r1", t0.Add(2*time.Second), t0) {
		t.Fatal("first assignment refused")
	}
	if tr.Unassign(t0.Add(time.Second), t0) {
		t.Fatal("older news (unassigned) overrode a newer assignment")
	}
	if !tr.Release("r1", t0.Add(3*time.Second), t0) || tr.Status != statusPending {
		t.Fatal("the realtor's decline was not applied")
	}
	if tr.Release("r2", t0.Add(4*time.Second), t0) {
		t.Fatal("another realtor's release changed the tour")
	}
	if !tr.Assign("r2", t0.Add(5*time.Second), t0) || tr.RealtorID != "r2" {
		t.Fatal("reassignment refused")
	}
	if tr.Complete(t0) {
		t.Fatal("completed before its end")
	}
}

func TestReschedule(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tr := tour{Stops: stops(loop), TimeZone: "America/Chicago", Status: statusScheduled, RealtorID: "r",
		ScheduledAt: time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)}
	next := time.Date(2026, 11, 28, 11, 0, 0, 0, chicago)
	if err := tr.Reschedule(next, now, DefaultRules); err != nil {
		t.Fatal(err)
	}
	if tr.Status != statusPending || tr.RealtorID != "" || !tr.ScheduledAt.Equal(next) {
		t.Fatalf("after reschedule: %s %q %v", tr.Status, tr.RealtorID, tr.ScheduledAt)
	}
	var rule ruleError
	if err := tr.Reschedule(now.Add(time.Hour), now, DefaultRules); !errors.As(err, &rule) {
		t.Fatalf("rescheduling into the next hour = %v", err)
	}
}

package tour_test

import (
	"errors"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/tour"
)

var (
	chicago, _ = time.LoadLocation("America/Chicago")
	loop       = events.GeoPoint{Lat: 41.8781, Lng: -87.6298}
	wicker     = events.GeoPoint{Lat: 41.9088, Lng: -87.6796}
	evanston   = events.GeoPoint{Lat: 42.0451, Lng: -87.6877}
	hydePark   = events.GeoPoint{Lat: 41.7943, Lng: -87.5907}
)

func usd(n int64) events.Money { return events.Money{Amount: n, Currency: "USD"} }

func stops(points ...events.GeoPoint) []tour.Stop {
	out := make([]tour.Stop, len(points))
	for i, p := range points {
		out[i] = tour.Stop{ListingID: string(rune('a' + i)), Location: p}
	}
	return out
}

// TestPlan: a tour moves keeping its route (tourplan's tests cover the
// order itself), each stop timed again from the new start.
func TestPlan(t *testing.T) {
	tr := tour.Tour{Stops: stops(loop, wicker), TimeZone: "America/Chicago"}
	start := time.Date(2026, 11, 26, 10, 0, 0, 0, chicago)
	if err := tr.Plan(start, tour.DefaultRules); err != nil {
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
	var rule tour.RuleError
	if err := tr.Plan(late, tour.DefaultRules); !errors.As(err, &rule) {
		t.Fatalf("a tour ending after 20:00 = %v", err)
	}
}

func TestCancelRefunds(t *testing.T) {
	start := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	base := tour.Tour{Status: tour.Scheduled, ScheduledAt: start, Paid: usd(4000), RealtorID: "r"}
	cases := []struct {
		name   string
		status tour.Status
		by     tour.CancelBy
		before time.Duration
		refund int64
		err    error
	}{
		{"customer, two days ahead", tour.Scheduled, tour.ByCustomer, 48 * time.Hour, 4000, nil},
		{"customer, exactly the cutoff", tour.Scheduled, tour.ByCustomer, 24 * time.Hour, 4000, nil},
		{"customer, after the cutoff", tour.Scheduled, tour.ByCustomer, 5 * time.Hour, 0, nil},
		{"customer, unassigned tour, late", tour.Unassigned, tour.ByCustomer, 5 * time.Hour, 4000, nil},
		{"customer, too late to change", tour.Scheduled, tour.ByCustomer, time.Hour, 0, tour.ErrTooLate},
		{"admin, late", tour.Scheduled, tour.ByAdmin, time.Hour, 4000, nil},
		{"system", tour.Pending, tour.BySystem, 30 * time.Minute, 4000, nil},
		{"already cancelled", tour.Cancelled, tour.ByAdmin, 48 * time.Hour, 0, tour.ErrFinished},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := base
			tr.Status = c.status
			err := tr.Cancel(c.by, "x", start.Add(-c.before), tour.DefaultRules)
			if !errors.Is(err, c.err) {
				t.Fatalf("Cancel = %v, want %v", err, c.err)
			}
			if err == nil && (tr.Refund.Amount != c.refund || tr.Status != tour.Cancelled) {
				t.Fatalf("refund = %v, status %s; want %d", tr.Refund, tr.Status, c.refund)
			}
		})
	}
}

func TestAssignmentNewsInOrder(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tr := tour.Tour{Status: tour.Pending, ScheduledAt: t0.Add(48 * time.Hour), EndsAt: t0.Add(49 * time.Hour)}
	if !tr.Assign("r1", t0.Add(2*time.Second), t0) {
		t.Fatal("first assignment refused")
	}
	if tr.Unassign(t0.Add(time.Second), t0) {
		t.Fatal("older news (unassigned) overrode a newer assignment")
	}
	if !tr.Release("r1", t0.Add(3*time.Second), t0) || tr.Status != tour.Pending {
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
	tr := tour.Tour{Stops: stops(loop), TimeZone: "America/Chicago", Status: tour.Scheduled, RealtorID: "r",
		ScheduledAt: time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)}
	next := time.Date(2026, 11, 28, 11, 0, 0, 0, chicago)
	if err := tr.Reschedule(next, now, tour.DefaultRules); err != nil {
		t.Fatal(err)
	}
	if tr.Status != tour.Pending || tr.RealtorID != "" || !tr.ScheduledAt.Equal(next) {
		t.Fatalf("after reschedule: %s %q %v", tr.Status, tr.RealtorID, tr.ScheduledAt)
	}
	var rule tour.RuleError
	if err := tr.Reschedule(now.Add(time.Hour), now, tour.DefaultRules); !errors.As(err, &rule) {
		t.Fatalf("rescheduling into the next hour = %v", err)
	}
}

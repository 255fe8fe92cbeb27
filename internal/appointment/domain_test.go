package appointment_test

import (
	"errors"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/appointment"
)

// TestAppointmentTransitions: every state change of an appointment (or a
// hold) is a method of the type, refused where the rules refuse it.
func TestAppointmentTransitions(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	start := t0.Add(48 * time.Hour)
	of := func(s appointment.Status) appointment.Appointment {
		a := appointment.Appointment{ID: "a1", TourID: "t1", RealtorID: "r1", StartsAt: start, EndsAt: start.Add(time.Hour), Status: s}
		if s == appointment.Held {
			a.ExpiresAt = t0.Add(10 * time.Minute)
		}
		return a
	}
	cases := []struct {
		name   string
		from   appointment.Status
		act    func(a *appointment.Appointment) error
		want   appointment.Status
		err    error
		reason string
	}{
		{"confirm a booking", appointment.Scheduled, func(a *appointment.Appointment) error { _, err := a.Confirm("r1", t0); return err }, appointment.Confirmed, nil, ""},
		{"confirm twice", appointment.Confirmed, func(a *appointment.Appointment) error {
			changed, err := a.Confirm("r1", t0)
			if changed {
				return errors.New("confirming a confirmed appointment changed it")
			}
			return err
		}, appointment.Confirmed, nil, ""},
		{"confirm someone else's", appointment.Scheduled, func(a *appointment.Appointment) error { _, err := a.Confirm("r2", t0); return err }, appointment.Scheduled, appointment.ErrNotAllowed, ""},
		{"confirm a released one", appointment.Released, func(a *appointment.Appointment) error { _, err := a.Confirm("r1", t0); return err }, appointment.Released, appointment.ErrReleased, ""},
		{"confirm a hold", appointment.Held, func(a *appointment.Appointment) error { _, err := a.Confirm("r1", t0); return err }, appointment.Held, appointment.ErrNotFound, ""},
		{"decline a booking", appointment.Scheduled, func(a *appointment.Appointment) error { return a.Decline("r1", t0) }, appointment.Released, nil, appointment.ReasonDeclined},
		{"decline a confirmed one", appointment.Confirmed, func(a *appointment.Appointment) error { return a.Decline("r1", t0) }, appointment.Released, nil, appointment.ReasonDeclined},
		{"decline someone else's", appointment.Scheduled, func(a *appointment.Appointment) error { return a.Decline("r2", t0) }, appointment.Scheduled, appointment.ErrNotAllowed, ""},
		{"decline a hold", appointment.Held, func(a *appointment.Appointment) error { return a.Decline("r1", t0) }, appointment.Held, appointment.ErrNotFound, ""},
		{"release a hold", appointment.Held, func(a *appointment.Appointment) error { return a.Release(appointment.ReasonHoldExpired, t0) }, appointment.Released, nil, appointment.ReasonHoldExpired},
		{"release twice", appointment.Released, func(a *appointment.Appointment) error { return a.Release(appointment.ReasonCancelled, t0) }, appointment.Released, appointment.ErrReleased, ""},
		{"book from a hold", appointment.Held, func(a *appointment.Appointment) error {
			return a.BookFor(appointment.Request{TourID: "t1", CustomerID: "c1", ListingIDs: []string{"l1"}, StartsAt: start, EndsAt: start.Add(time.Hour)}, true, t0)
		}, appointment.Scheduled, nil, ""},
		{"book from a hold for another window", appointment.Held, func(a *appointment.Appointment) error {
			return a.BookFor(appointment.Request{TourID: "t1", StartsAt: start.Add(time.Hour), EndsAt: start.Add(2 * time.Hour)}, true, t0)
		}, appointment.Held, appointment.ErrHoldUnusable, ""},
		{"book from a hold whose realtor stopped", appointment.Held, func(a *appointment.Appointment) error {
			return a.BookFor(appointment.Request{TourID: "t1", StartsAt: start, EndsAt: start.Add(time.Hour)}, false, t0)
		}, appointment.Held, appointment.ErrHoldUnusable, ""},
		{"book from a booking", appointment.Scheduled, func(a *appointment.Appointment) error {
			return a.BookFor(appointment.Request{TourID: "t1", StartsAt: start, EndsAt: start.Add(time.Hour)}, true, t0)
		}, appointment.Scheduled, appointment.ErrHoldUnusable, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := of(c.from)
			err := c.act(&a)
			if !errors.Is(err, c.err) || (c.err == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if a.Status != c.want || a.ReleaseReason != c.reason {
				t.Fatalf("after: %s (%q), want %s (%q)", a.Status, a.ReleaseReason, c.want, c.reason)
			}
		})
	}
}

// TestHoldsAndBookingsInTheIndex: a hold is known to availability by its
// own id until it becomes its tour's booking; a hold lapses at its expiry.
func TestHoldsAndBookingsInTheIndex(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	hold := appointment.Appointment{ID: "h1", TourID: "t1", Status: appointment.Held, ExpiresAt: t0.Add(10 * time.Minute)}
	if hold.IndexKey() != "h1" || hold.Booked() || !hold.Active() {
		t.Fatalf("hold: key %q booked %v active %v", hold.IndexKey(), hold.Booked(), hold.Active())
	}
	if hold.Lapsed(t0.Add(10*time.Minute-time.Nanosecond)) || !hold.Lapsed(t0.Add(10*time.Minute)) {
		t.Fatal("a hold lapses exactly at its expiry")
	}
	_ = hold.Release(appointment.ReasonHoldExpired, t0)
	if hold.IndexKey() != "h1" {
		t.Fatal("a released hold is still known by its own id")
	}
	booking := appointment.Appointment{ID: "a1", TourID: "t1", Status: appointment.Scheduled}
	if booking.IndexKey() != "t1" || !booking.Booked() || booking.Lapsed(t0.Add(time.Hour)) {
		t.Fatalf("booking: key %q", booking.IndexKey())
	}
}

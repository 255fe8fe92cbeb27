package appointment

import (
	"errors"
	"testing"
	"time"
)

// TestAppointmentTransitions: every state change of an appointment (or a
// hold) is a method of the type, refused where the rules refuse it.
func TestAppointmentTransitions(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	start := t0.Add(48 * time.Hour)
	of := func(s status) appointment {
		a := appointment{ID: "a1", TourID: "t1", RealtorID: "r1", StartsAt: start, EndsAt: start.Add(time.Hour), Status: s}
		if s == held {
			a.ExpiresAt = t0.Add(10 * time.Minute)
		}
		return a
	}
	cases := []struct {
		name   string
		from   status
		act    func(a *appointment) error
		want   status
		err    error
		reason string
	}{
		{"confirm a booking", Scheduled, func(a *appointment) error { _, err := a.Confirm("r1", t0); return err }, confirmed, nil, ""},
		{"confirm twice", confirmed, func(a *appointment) error {
			changed, err := a.Confirm("r1", t0)
			if changed {
				return errors.New("confirming a confirmed appointment changed it")
			}
			return err
		}, confirmed, nil, ""},
		{"confirm someone else's", Scheduled, func(a *appointment) error { _, err := a.Confirm("r2", t0); return err }, Scheduled, errNotAllowed, ""},
		{"confirm a released one", Released, func(a *appointment) error { _, err := a.Confirm("r1", t0); return err }, Released, errReleased, ""},
		{"confirm a hold", held, func(a *appointment) error { _, err := a.Confirm("r1", t0); return err }, held, errNotFound, ""},
		{"decline a booking", Scheduled, func(a *appointment) error { return a.Decline("r1", t0) }, Released, nil, reasonDeclined},
		{"decline a confirmed one", confirmed, func(a *appointment) error { return a.Decline("r1", t0) }, Released, nil, reasonDeclined},
		{"decline someone else's", Scheduled, func(a *appointment) error { return a.Decline("r2", t0) }, Scheduled, errNotAllowed, ""},
		{"decline a hold", held, func(a *appointment) error { return a.Decline("r1", t0) }, held, errNotFound, ""},
		{"release a hold", held, func(a *appointment) error { return a.Release(reasonHoldExpired, t0) }, Released, nil, reasonHoldExpired},
		{"release twice", Released, func(a *appointment) error { return a.Release(reasonCancelled, t0) }, Released, errReleased, ""},
		{"book from a hold", held, func(a *appointment) error {
			return a.BookFor(request{TourID: "t1", CustomerID: "c1", ListingIDs: []string{"l1"}, StartsAt: start, EndsAt: start.Add(time.Hour)}, true, t0)
		}, Scheduled, nil, ""},
		{"book from a hold for another window", held, func(a *appointment) error {
			return a.BookFor(request{TourID: "t1", StartsAt: start.Add(time.Hour), EndsAt: start.Add(2 * time.Hour)}, true, t0)
		}, held, errHoldUnusable, ""},
		{"book from a hold whose realtor stopped", held, func(a *appointment) error {
			return a.BookFor(request{TourID: "t1", StartsAt: start, EndsAt: start.Add(time.Hour)}, false, t0)
		}, held, errHoldUnusable, ""},
		{"book from a booking", Scheduled, func(a *appointment) error {
			return a.BookFor(request{TourID: "t1", StartsAt: start, EndsAt: start.Add(time.Hour)}, true, t0)
		}, Scheduled, errHoldUnusable, ""},
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
	hold := appointment{ID: "h1", TourID: "t1", Status: held, ExpiresAt: t0.Add(10 * time.Minute)}
	if hold.IndexKey() != "h1" || hold.Booked() || !hold.Active() {
		t.Fatalf("hold: key %q booked %v active %v", hold.IndexKey(), hold.Booked(), hold.Active())
	}
	if hold.Lapsed(t0.Add(10*time.Minute-time.Nanosecond)) || !hold.Lapsed(t0.Add(10*time.Minute)) {
		t.Fatal("a hold lapses exactly at its expiry")
	}
	_ = hold.Release(reasonHoldExpired, t0)
	if hold.IndexKey() != "h1" {
		t.Fatal("a released hold is still known by its own id")
	}
	booking := appointment{ID: "a1", TourID: "t1", Status: Scheduled}
	if booking.IndexKey() != "t1" || !booking.Booked() || booking.Lapsed(t0.Add(time.Hour)) {
		t.Fatalf("booking: key %q", booking.IndexKey())
	}
}

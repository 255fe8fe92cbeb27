package notification

import (
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

func confirmed(t *testing.T, tr events.Tour, realtorID string, at time.Time) bus.Event {
	return event(t, events.TypeAppointmentConfirmed, tr.TourID, events.AppointmentConfirmed{
		Appointment: events.Appointment{AppointmentID: "appt-" + tr.TourID, TourID: tr.TourID, RealtorID: realtorID,
			CustomerID: tr.CustomerID, StartsAt: tr.ScheduledAt, EndsAt: tr.EndsAt, Status: "confirmed"},
		ConfirmedAt: at}, at)
}

// TestRealtorConfirmationTellsTheCustomer: when the assigned realtor
// confirms, the customer (and only the customer) is told once, by name,
// however often the event is delivered; a confirmation that arrives before
// the tour's own news is retried; one about an assignment since given up
// tells nobody.
func TestRealtorConfirmationTellsTheCustomer(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		db := openDB(t, open)
		mailer := &countingMailer{}
		in := newInstance(t, db, clk, Config{Mailer: mailer})
		in.register(t, customer, realtor)
		in.profile(t, realtor.UserID, "America/Chicago")
		in.run(t)
		tr := tour("tour-c", customer.UserID, realtor.UserID, 2, tourStart)

		// Before the tour's news: not applied, retried later.
		if err := in.handleErr(confirmed(t, tr, realtor.UserID, t0)); err == nil || !strings.Contains(err.Error(), "has not arrived") {
			t.Fatalf("a confirmation ahead of its tour = %v, want a retryable error", err)
		}
		in.handle(t, scheduled(t, tr, t0))
		ev := confirmed(t, tr, realtor.UserID, t0.Add(time.Minute))
		in.handle(t, ev)
		in.handle(t, ev) // redelivered
		settled(t, db, in.store, clk)
		if got := count(t, in.store, customer.UserID, kindTourConfirmed, "tour-c"); got != 1 {
			t.Fatalf("the customer has %d tour_confirmed notifications, want 1", got)
		}
		if got := count(t, in.store, realtor.UserID, kindTourConfirmed, "tour-c"); got != 0 {
			t.Errorf("the realtor was told of their own confirmation %d times", got)
		}
		for _, n := range inbox(t, in.store, customer.UserID) {
			if n.Kind == kindTourConfirmed && (!strings.Contains(n.Body, "Rita confirmed") || !strings.Contains(n.Subject, "confirmed")) {
				t.Errorf("the confirmation reads %q / %q", n.Subject, n.Body)
			}
		}

		// Declined and given to someone else: an old confirmation tells nobody.
		moved := tour("tour-d", customer.UserID, "realtor-2", 3, tourStart)
		in.handle(t, scheduled(t, moved, t0))
		in.handle(t, confirmed(t, moved, realtor.UserID, t0.Add(time.Minute)))
		if got := count(t, in.store, customer.UserID, kindTourConfirmed, "tour-d"); got != 0 {
			t.Errorf("a stale confirmation told the customer %d times", got)
		}
	})
}

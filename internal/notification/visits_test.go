package notification

import (
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestFeedbackRequestAsksEachPerson: feedback.requested asks the person it
// names, once however often it comes, in the inbox and by email without a
// calendar invite (the tour is over); nobody else is told.
func TestFeedbackRequestAsksEachPerson(t *testing.T) {
	clk := clock.NewFake(t0)
	db := openDB(t, storetest.OpenSQLite)
	mailer := &countingMailer{}
	in := newInstance(t, db, clk, Config{Mailer: mailer})
	in.register(t, customer, realtor)
	in.run(t)
	tr := tour("tour-f", customer.UserID, realtor.UserID, 4, tourStart)
	tr.Status = "completed"
	for _, who := range []events.UserRegistered{customer, realtor} {
		ev := event(t, events.TypeFeedbackRequested, tr.TourID, events.FeedbackRequested{Tour: tr, UserID: who.UserID, Role: who.Role,
			RequestedAt: t0}, t0)
		in.handle(t, ev)
		in.handle(t, ev) // redelivered
	}
	settled(t, db, in.store, clk)
	for _, who := range []events.UserRegistered{customer, realtor} {
		if got := count(t, in.store, who.UserID, kindFeedbackRequest, "tour-f"); got != 1 {
			t.Errorf("%s has %d feedback requests, want 1", who.Role, got)
		}
		if got := len(inbox(t, in.store, who.UserID)); got != 1 {
			t.Errorf("%s has %d notifications, want 1", who.Role, got)
		}
		mail := mailer.last[who.Email]
		if len(mail.ICS) != 0 || !strings.Contains(mail.Text, "Tell us what you thought of each home") {
			t.Errorf("email to the %s: %q (invite %d bytes)", who.Role, mail.Text, len(mail.ICS))
		}
	}
	if mailer.total() != 2 {
		t.Fatalf("%d emails, want 2", mailer.total())
	}
}

package notification

import (
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

var provider = events.UserRegistered{UserID: "prov-1", Email: "pia@example.com", Name: "Pia", Role: "provider"}

// TestApprovalRequestTellsTheProvider: a tour waiting for approval asks
// its homes' provider, once however often the news comes, in the inbox
// and by email (no calendar invite: nothing is booked for them), with the
// deadline; nobody else is told.
func TestApprovalRequestTellsTheProvider(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		db := openDB(t, open)
		mailer := &countingMailer{}
		in := newInstance(t, db, clk, Config{Mailer: mailer})
		in.register(t, customer, provider)
		in.run(t)
		tr := tour("tour-a", customer.UserID, "", 1, tourStart)
		tr.Status = "awaiting_approval"
		deadline := t0.Add(4 * time.Hour)
		ev := event(t, events.TypeTourApprovalRequested, tr.TourID, events.TourApprovalRequested{Tour: tr, Deadline: deadline, RequestedAt: t0,
			Requests: []events.ApprovalRequest{{ListingID: "l-1", ProviderID: provider.UserID, Title: "Lake loft"}, {ListingID: "l-2", ProviderID: provider.UserID, Title: "Wicker house"}}}, t0)
		in.handle(t, ev)
		in.handle(t, ev) // redelivered
		settled(t, db, in.store, clk)
		if got := count(t, in.store, provider.UserID, kindApprovalRequest, "tour-a"); got != 1 {
			t.Fatalf("provider has %d approval requests, want 1", got)
		}
		if got := len(inbox(t, in.store, customer.UserID)); got != 0 {
			t.Fatalf("the customer has %d notifications before approval", got)
		}
		mail := mailer.last[provider.Email]
		if mailer.total() != 1 || len(mail.ICS) != 0 || !strings.Contains(mail.Text, "Lake loft, Wicker house") ||
			!strings.Contains(mail.Text, "Saturday 28 November 2026, 10:00 CST") {
			t.Fatalf("%d emails; to the provider: %q (invite %d bytes)", mailer.total(), mail.Text, len(mail.ICS))
		}
	})
}

// TestDeclinedHomeTellsTheCustomer: a home that left the tour is told to
// the customer once, with its refund.
func TestDeclinedHomeTellsTheCustomer(t *testing.T) {
	clk := clock.NewFake(t0)
	db := openDB(t, storetest.OpenSQLite)
	in := newInstance(t, db, clk, Config{})
	in.register(t, customer, provider)
	in.run(t)
	tr := tour("tour-d", customer.UserID, "", 2, tourStart)
	tr.Stops = tr.Stops[1:]
	ev := event(t, events.TypeTourStopDeclined, tr.TourID, events.TourStopDeclined{Tour: tr, ListingID: "l-1", ProviderID: provider.UserID,
		Title: "Lake loft", Reason: "declined", DeclinedBy: provider.UserID, Refund: events.Money{Amount: 4000, Currency: "USD"}, DeclinedAt: t0}, t0)
	in.handle(t, ev)
	in.handle(t, ev)
	items := inbox(t, in.store, customer.UserID)
	if len(items) != 1 || items[0].Kind != kindTourStopDeclined || !strings.Contains(items[0].Body, "Lake loft") ||
		!strings.Contains(items[0].Body, "40.00 USD") || !strings.Contains(items[0].Body, "Wicker house") {
		t.Fatalf("customer's inbox = %+v", items)
	}
}

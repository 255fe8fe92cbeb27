package records_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
	"github.com/openhouse/openhouse/internal/records"
)

type harness struct {
	t     *testing.T
	book  *records.Book
	store *records.SQLStore
}

func newHarness(t *testing.T, open storetest.Opener) *harness {
	t.Helper()
	ctx := context.Background()
	db := open(t, "iam")
	if err := outbox.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	st, err := records.NewSQLStore(ctx, db, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	book, err := records.New(st)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, book: book, store: st}
}

// deliver hands ev to the handler the book subscribed for its type.
func (h *harness) deliver(ev bus.Event) {
	h.t.Helper()
	for _, sub := range h.book.Subscriptions() {
		if handler, ok := sub.Handlers[ev.Type()]; ok {
			if err := handler(context.Background(), ev); err != nil {
				h.t.Fatalf("handle %s: %v", ev.Type(), err)
			}
			return
		}
	}
	h.t.Fatalf("the book does not subscribe to %s", ev.Type())
}

func event(t *testing.T, typ, subject string, data any, at time.Time) bus.Event {
	t.Helper()
	ev, err := bus.NewEvent(context.Background(), typ, subject, data, at)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

type summaries struct {
	Listings, Payments, Appointments, Notifications []map[string]any
}

// of is what GET /iam/me would show of a user's records.
func (h *harness) of(userID string) summaries {
	h.t.Helper()
	by, err := h.book.Summaries(context.Background(), userID, 50)
	if err != nil {
		h.t.Fatal(err)
	}
	var out summaries
	for kind, dst := range map[string]*[]map[string]any{"listing": &out.Listings, "payment": &out.Payments,
		"appointment": &out.Appointments, "notification": &out.Notifications} {
		for _, raw := range by[kind] {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				h.t.Fatal(err)
			}
			*dst = append(*dst, m)
		}
	}
	return out
}

// TestRecordsFromOtherServices: listing, payment, appointment and
// notification events, each delivered twice, show once in the summaries of
// the users they concern, newest news first and kept.
func TestRecordsFromOtherServices(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		h := newHarness(t, open)
		provider, customer, realtor := struct{ id string }{"u-paula"}, struct{ id string }{"u-carl"}, struct{ id string }{"u-rita"}
		t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		usd := func(n int64) events.Money { return events.Money{Amount: n, Currency: "USD"} }
		listing := events.Listing{ID: "lst-1", ProviderID: provider.id, Title: "Loft", Address: events.ListingAddress{City: "Chicago"},
			Price: usd(50000000), TourFee: usd(2500), Status: "active", CreatedAt: t0, UpdatedAt: t0}
		renamed := listing
		renamed.Title, renamed.UpdatedAt = "Sunny loft", t0.Add(time.Hour)
		appt := events.Appointment{AppointmentID: "apt-1", TourID: "tour-1", RealtorID: realtor.id, CustomerID: customer.id,
			ListingIDs: []string{"lst-1"}, StartsAt: t0.Add(48 * time.Hour), EndsAt: t0.Add(49 * time.Hour), Status: "scheduled"}

		created := event(t, events.TypeListingCreated, "lst-1", events.ListingCreated{Listing: listing}, t0)
		updated := event(t, events.TypeListingUpdated, "lst-1", events.ListingUpdated{Mode: events.UpdatePatch, Changed: []string{"title"}, Listing: renamed}, t0.Add(time.Hour))
		paid := event(t, events.TypePaymentSucceeded, "pay-1", events.PaymentSucceeded{PaymentID: "pay-1", OrderID: "ord-1",
			CustomerID: customer.id, Amount: usd(2500), SucceededAt: t0}, t0)
		scheduled := event(t, events.TypeAppointmentScheduled, "tour-1", events.AppointmentScheduled{Appointment: appt, ScheduledAt: t0.Add(time.Minute)}, t0)
		told := event(t, events.TypeNotificationSent, "n-1", events.NotificationSent{NotificationID: "n-1", UserID: customer.id,
			Kind: "tour_scheduled", TourID: "tour-1", Channel: "inbox", SentAt: t0.Add(2 * time.Minute)}, t0)

		// Every event twice, and the listing's update before its creation.
		for _, ev := range []bus.Event{updated, created, updated, created, paid, paid, scheduled, scheduled, told, told} {
			h.deliver(ev)
		}

		p := h.of(provider.id)
		if len(p.Listings) != 1 || p.Listings[0]["title"] != "Sunny loft" {
			t.Fatalf("provider's listings = %v, want the one listing with its newest title", p.Listings)
		}
		c := h.of(customer.id)
		if len(c.Payments) != 1 || c.Payments[0]["status"] != "succeeded" {
			t.Fatalf("customer's payments = %v", c.Payments)
		}
		if len(c.Appointments) != 1 || c.Appointments[0]["realtor_id"] != realtor.id {
			t.Fatalf("customer's appointments = %v", c.Appointments)
		}
		if len(c.Notifications) != 1 || c.Notifications[0]["kind"] != "tour_scheduled" {
			t.Fatalf("customer's notifications = %v", c.Notifications)
		}
		if len(c.Listings) != 0 {
			t.Fatalf("the customer sees listings: %v", c.Listings)
		}
		r := h.of(realtor.id)
		if len(r.Appointments) != 1 || r.Appointments[0]["customer_id"] != customer.id || len(r.Payments) != 0 {
			t.Fatalf("realtor's records = %+v", r)
		}

		// Newer news replaces older: a refund, then the appointment released.
		h.deliver(event(t, events.TypePaymentRefunded, "pay-1", events.PaymentRefunded{PaymentID: "pay-1", OrderID: "ord-1",
			CustomerID: customer.id, Amount: usd(2500), TotalRefunded: usd(2500), Status: "refunded", RefundedAt: t0.Add(3 * time.Hour)}, t0))
		released := appt
		released.Status = "released"
		h.deliver(event(t, events.TypeAppointmentReleased, "tour-1", events.AppointmentReleased{Appointment: released, Reason: "cancelled", ReleasedAt: t0.Add(3 * time.Hour)}, t0))
		c = h.of(customer.id)
		if len(c.Payments) != 1 || c.Payments[0]["status"] != "refunded" || len(c.Appointments) != 1 || c.Appointments[0]["status"] != "released" {
			t.Fatalf("after refund and release: payments %v, appointments %v", c.Payments, c.Appointments)
		}
	})
}

func TestMalformedRecordEventIsPermanent(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	ev := event(t, events.TypePaymentSucceeded, "x", map[string]any{"payment_id": 7}, time.Now())
	for _, sub := range h.book.Subscriptions() {
		if handler, ok := sub.Handlers[ev.Type()]; ok {
			err := handler(context.Background(), ev)
			if err == nil {
				t.Fatal("a malformed event was accepted")
			}
			return
		}
	}
	t.Fatal("no payment handler")
}

// TestBookConsumesAsIAM: the book's consumers keep iam's durable name (the
// records' consumer before they left iam: a new name would replay every
// stream), one per stream.
func TestBookConsumesAsIAM(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	streams := map[string]bool{}
	for _, sub := range h.book.Subscriptions() {
		if sub.Consumer != "iam" || streams[sub.Stream] {
			t.Errorf("subscription %s on %s: want one per stream, as iam", sub.Consumer, sub.Stream)
		}
		streams[sub.Stream] = true
	}
	for _, s := range []string{"listing", "payment", "appointment", "notification"} {
		if !streams[s] {
			t.Errorf("no subscription on %s", s)
		}
	}
}

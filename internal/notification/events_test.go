package notification

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestEveryTourHandlerIsIdempotent feeds each tour event twice: one
// notification per recipient, one email each, one event per channel.
func TestEveryTourHandlerIsIdempotent(t *testing.T) {
	tr := tour("tour-i", customer.UserID, realtor.UserID, 3, tourStart)
	cases := []struct {
		name  string
		ev    func(t *testing.T) bus.Event
		kind  Kind
		users []string // who is told
		// reminders set by the event (per user)
		reminders int
	}{
		{"scheduled", func(t *testing.T) bus.Event { return scheduled(t, tr, t0) }, kindTourScheduled,
			[]string{customer.UserID, realtor.UserID}, 2},
		{"rescheduled", func(t *testing.T) bus.Event { return rescheduled(t, tr, tourStart.Add(-time.Hour), t0) }, kindTourRescheduled,
			[]string{customer.UserID}, 0},
		{"cancelled", func(t *testing.T) bus.Event { return cancelled(t, tr, t0) }, kindTourCancelled,
			[]string{customer.UserID, realtor.UserID}, 0},
		{"unassigned", func(t *testing.T) bus.Event { return unassigned(t, tr, t0) }, kindTourUnassigned,
			[]string{customer.UserID}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, open storetest.Opener) {
				clk := clock.NewFake(t0)
				db := openDB(t, open)
				mailer := &countingMailer{}
				in := newInstance(t, db, clk, Config{Mailer: mailer})
				in.register(t, customer, realtor)
				in.run(t)
				ev := c.ev(t)
				in.handle(t, ev)
				in.handle(t, ev) // redelivered
				settled(t, db, in.store, clk)
				for _, u := range []string{customer.UserID, realtor.UserID} {
					want := 0
					for _, told := range c.users {
						if told == u {
							want = 1
						}
					}
					if got := count(t, in.store, u, c.kind, "tour-i"); got != want {
						t.Errorf("%s has %d %s notifications, want %d", u, got, c.kind, want)
					}
				}
				if got := mailer.total(); got != len(c.users) {
					t.Errorf("%d emails, want %d", got, len(c.users))
				}
				perChannel := map[string]int{}
				for _, s := range sent(t, db) {
					perChannel[s.Channel]++
				}
				if perChannel["inbox"] != len(c.users) || perChannel["email"] != len(c.users) {
					t.Errorf("events per channel %v, want %d inbox and email", perChannel, len(c.users))
				}
				if rs := reminderStates(t, in.store, "tour-i"); len(rs) != c.reminders*len(c.users) {
					t.Errorf("reminders %v, want %d", rs, c.reminders*len(c.users))
				}
			})
		})
	}
}

// TestAddressBookHandlersAreIdempotent feeds each iam event twice, and
// older news after newer.
func TestAddressBookHandlersAreIdempotent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		in := newInstance(t, openDB(t, open), clk, Config{})
		reg := event(t, events.TypeUserRegistered, "real-9", events.UserRegistered{UserID: "real-9", Email: "Old@Example.com",
			Name: "Old", Role: "realtor", RegisteredAt: t0.Add(-2 * time.Hour)}, t0)
		upd := event(t, events.TypeUserUpdated, "real-9", events.UserUpdated{UserID: "real-9", Email: "new@example.com", Name: "New", At: t0.Add(-time.Hour)}, t0)
		prof := event(t, events.TypeRealtorProfileChanged, "real-9", events.RealtorProfileChanged{RealtorID: "real-9", Name: "New",
			TimeZone: "America/Denver", At: t0.Add(-30 * time.Minute)}, t0)
		for _, ev := range []bus.Event{upd, prof, upd, prof, reg, reg} {
			in.handle(t, ev)
		}
		c, err := in.store.Contact(context.Background(), "real-9")
		if err != nil || c.Email != "new@example.com" || c.Name != "New" || c.Role != "realtor" || c.TimeZone != "America/Denver" {
			t.Fatalf("contact = %+v, %v", c, err)
		}
	})
}

// TestStaleTourNewsIsIgnored: news older than what was applied (a
// redelivery after a retry, two instances racing) tells nobody anything
// and sets no reminders.
func TestStaleTourNewsIsIgnored(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		in := newInstance(t, openDB(t, open), clk, Config{})
		in.register(t, customer, realtor)
		tr := tour("tour-s", customer.UserID, realtor.UserID, 4, tourStart)
		in.handle(t, cancelled(t, tr, t0))
		tr.Version = 3
		in.handle(t, scheduled(t, tr, t0.Add(-time.Minute)))
		if n := count(t, in.store, customer.UserID, kindTourScheduled, "tour-s"); n != 0 {
			t.Fatalf("a stale scheduled event told the customer (%d)", n)
		}
		if rs := reminderStates(t, in.store, "tour-s"); len(rs) != 0 {
			t.Fatalf("a stale scheduled event set reminders %v", rs)
		}
	})
}

// TestRealtorReadsTimesInTheirZone: a realtor's notices use their
// profile's zone; without one, the tour's.
func TestRealtorReadsTimesInTheirZone(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		in := newInstance(t, openDB(t, open), clk, Config{})
		other := events.UserRegistered{UserID: "real-2", Email: "rob@example.com", Name: "Rob", Role: "realtor"}
		in.register(t, customer, realtor, other)
		in.profile(t, realtor.UserID, "America/Los_Angeles")
		in.handle(t, scheduled(t, tour("tour-z", customer.UserID, realtor.UserID, 2, tourStart), t0))
		in.handle(t, scheduled(t, tour("tour-y", customer.UserID, other.UserID, 2, tourStart), t0))
		for user, want := range map[string]string{
			realtor.UserID:  "08:00 PST (America/Los_Angeles)",
			other.UserID:    "10:00 CST (America/Chicago)",
			customer.UserID: "10:00 CST (America/Chicago)",
		} {
			for _, n := range inbox(t, in.store, user) {
				if !strings.Contains(n.Body, want) {
					t.Errorf("%s's %s notice lacks %q:\n%s", user, n.TourID, want, n.Body)
				}
			}
		}
		for _, n := range inbox(t, in.store, customer.UserID) {
			if want := map[string]string{"tour-z": "Your realtor is Rita.", "tour-y": "Your realtor is Rob."}[n.TourID]; !strings.Contains(n.Body, want) {
				t.Errorf("the customer's notice of %s lacks %q:\n%s", n.TourID, want, n.Body)
			}
		}
	})
}

// TestEmailWaitsForAnAddress: an email whose recipient iam has not told
// us about yet is retried, and goes out once the address arrives.
func TestEmailWaitsForAnAddress(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		db := openDB(t, open)
		mailer := &countingMailer{}
		in := newInstance(t, db, clk, Config{Mailer: mailer})
		in.run(t)
		in.handle(t, unassigned(t, tour("tour-e", customer.UserID, "", 2, tourStart), t0))
		settled(t, db, in.store, clk)
		if mailer.total() != 0 {
			t.Fatal("an email went out without an address")
		}
		items := inbox(t, in.store, customer.UserID)
		if len(items) != 1 || len(items[0].Deliveries) != 1 || items[0].Deliveries[0].State != deliveryPending || items[0].Deliveries[0].Attempts != 1 {
			t.Fatalf("inbox %+v", items)
		}
		in.register(t, customer)
		clk.Advance(30 * time.Second)
		settled(t, db, in.store, clk)
		if mailer.total() != 1 || mailer.last[customer.Email].To.Name != "Cleo" {
			t.Fatalf("emails %d %+v", mailer.total(), mailer.last)
		}
	})
}

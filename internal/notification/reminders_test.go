package notification

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

var (
	customer = events.UserRegistered{UserID: "cust-1", Email: "cleo@example.com", Name: "Cleo", Role: "customer"}
	realtor  = events.UserRegistered{UserID: "real-1", Email: "rita@example.com", Name: "Rita", Role: "realtor"}
)

// reminders counts the tour_reminder items of customer and realtor.
func reminders(t *testing.T, st Store, tourID string) (cust, real int) {
	t.Helper()
	return count(t, st, customer.UserID, kindTourReminder, tourID),
		count(t, st, realtor.UserID, kindTourReminder, tourID)
}

func expectReminders(t *testing.T, st Store, tourID string, want int) {
	t.Helper()
	if c, r := reminders(t, st, tourID); c != want || r != want {
		t.Fatalf("reminders of %s: customer %d, realtor %d; want %d each", tourID, c, r, want)
	}
}

// TestRemindersFireOnceAcrossRestart is must-show 4: reminders at the
// offsets, once each, also when the service restarts between them and
// one comes due while it is down.
func TestRemindersFireOnceAcrossRestart(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		db := openDB(t, open)
		a := newInstance(t, db, clk, Config{})
		a.register(t, customer, realtor)
		a.profile(t, realtor.UserID, "America/New_York")
		a.run(t)
		tr := tour("tour-1", customer.UserID, realtor.UserID, 2, tourStart)
		a.handle(t, scheduled(t, tr, t0))
		settled(t, db, a.store, clk)
		if c, r := count(t, a.store, customer.UserID, kindTourScheduled, "tour-1"), count(t, a.store, realtor.UserID, kindTourScheduled, "tour-1"); c != 1 || r != 1 {
			t.Fatalf("scheduled notices: customer %d, realtor %d", c, r)
		}
		expectReminders(t, a.store, "tour-1", 0)

		// One minute before the 24 h offset: nothing yet.
		clk.Set(tourStart.Add(-24*time.Hour - time.Minute))
		settled(t, db, a.store, clk)
		expectReminders(t, a.store, "tour-1", 0)
		// At the offset: one reminder each.
		clk.Set(tourStart.Add(-24 * time.Hour))
		settled(t, db, a.store, clk)
		expectReminders(t, a.store, "tour-1", 1)
		items := inbox(t, a.store, customer.UserID)
		if r := items[0]; r.Kind != kindTourReminder || !r.SendAt.Equal(tourStart.Add(-24*time.Hour)) ||
			!strings.Contains(r.Body, "starts in 24 hours") || !strings.Contains(r.Body, "10:00 CST (America/Chicago)") {
			t.Fatalf("customer's reminder: %+v", r)
		}
		if r := inbox(t, a.store, realtor.UserID)[0]; !strings.Contains(r.Body, "11:00 EST (America/New_York)") {
			t.Fatalf("realtor's reminder is not in their zone: %s", r.Body)
		}

		// The process stops; the 1 h reminder comes due while it is down.
		a.stop()
		clk.Set(tourStart.Add(-time.Hour + 5*time.Minute))
		db2 := reopen(t, db)
		b := newInstance(t, db2, clk, Config{})
		b.run(t)
		settled(t, db2, b.store, clk)
		expectReminders(t, b.store, "tour-1", 2)

		// Long after the tour, still exactly two each.
		clk.Set(tourStart.Add(48 * time.Hour))
		settled(t, db2, b.store, clk)
		expectReminders(t, b.store, "tour-1", 2)
		for k, st := range reminderStates(t, b.store, "tour-1") {
			if st != reminderSent {
				t.Errorf("reminder %s is %s, want sent", k, st)
			}
		}
		// Every notification was announced once, on the inbox channel.
		perID := map[string]int{}
		for _, s := range sent(t, db2) {
			if s.Channel != "inbox" {
				t.Errorf("event on channel %s without email or webhooks", s.Channel)
			}
			perID[s.NotificationID]++
		}
		if len(perID) != 6 {
			t.Fatalf("%d notifications announced, want 6 (2 scheduled + 4 reminders)", len(perID))
		}
		for id, n := range perID {
			if n != 1 {
				t.Errorf("notification %s announced %d times", id, n)
			}
		}
	})
}

// TestCancelledToursRemindersNeverFire: a tour cancelled before its
// reminders never reminds anyone; both hear of the cancellation.
func TestCancelledToursRemindersNeverFire(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		db := openDB(t, open)
		in := newInstance(t, db, clk, Config{})
		in.register(t, customer, realtor)
		in.run(t)
		tr := tour("tour-c", customer.UserID, realtor.UserID, 2, tourStart)
		in.handle(t, scheduled(t, tr, t0))
		clk.Advance(time.Hour)
		tr.Version = 3
		in.handle(t, cancelled(t, tr, clk.Now()))
		for _, at := range []time.Time{tourStart.Add(-24 * time.Hour), tourStart.Add(-time.Hour), tourStart.Add(time.Hour)} {
			clk.Set(at)
			settled(t, db, in.store, clk)
			expectReminders(t, in.store, "tour-c", 0)
		}
		for k, st := range reminderStates(t, in.store, "tour-c") {
			if st != reminderCancelled {
				t.Errorf("reminder %s is %s, want cancelled", k, st)
			}
		}
		if c, r := count(t, in.store, customer.UserID, kindTourCancelled, "tour-c"), count(t, in.store, realtor.UserID, kindTourCancelled, "tour-c"); c != 1 || r != 1 {
			t.Fatalf("cancellation notices: customer %d, realtor %d; want 1 each", c, r)
		}
		if body := inbox(t, in.store, customer.UserID)[0].Body; !strings.Contains(body, "refunded 40.00 USD") {
			t.Fatalf("customer's cancellation: %s", body)
		}
	})
}

// TestRescheduledToursOldRemindersNeverFire: the old time's reminders are
// void; once the tour is scheduled again, the new time's fire once each.
func TestRescheduledToursOldRemindersNeverFire(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		db := openDB(t, open)
		in := newInstance(t, db, clk, Config{})
		in.register(t, customer, realtor)
		in.run(t)
		tr := tour("tour-r", customer.UserID, realtor.UserID, 2, tourStart)
		in.handle(t, scheduled(t, tr, t0))
		newStart := tourStart.Add(72 * time.Hour)
		moved := tour("tour-r", customer.UserID, "", 3, newStart)
		clk.Advance(time.Hour)
		in.handle(t, rescheduled(t, moved, tourStart, clk.Now()))
		if n := count(t, in.store, customer.UserID, kindTourRescheduled, "tour-r"); n != 1 {
			t.Fatalf("%d rescheduled notices", n)
		}
		if body := inbox(t, in.store, customer.UserID)[0].Body; !strings.Contains(body, "from Tuesday 1 December 2026, 10:00 CST (America/Chicago) to Friday 4 December 2026, 10:00 CST") {
			t.Fatalf("rescheduled notice: %s", body)
		}
		// The old offsets pass: nothing.
		for _, at := range []time.Time{tourStart.Add(-24 * time.Hour), tourStart.Add(-time.Hour), tourStart} {
			clk.Set(at)
			settled(t, db, in.store, clk)
			expectReminders(t, in.store, "tour-r", 0)
		}
		// Scheduled again for the new time (another realtor would do too).
		moved.Version, moved.RealtorID = 4, realtor.UserID
		in.handle(t, scheduled(t, moved, clk.Now()))
		clk.Set(newStart.Add(-24 * time.Hour))
		settled(t, db, in.store, clk)
		expectReminders(t, in.store, "tour-r", 1)
		clk.Set(newStart.Add(-time.Hour))
		settled(t, db, in.store, clk)
		expectReminders(t, in.store, "tour-r", 2)
		clk.Set(newStart.Add(time.Hour))
		settled(t, db, in.store, clk)
		expectReminders(t, in.store, "tour-r", 2)
		want := map[string]reminderState{
			"cust-1/v2/24h0m0s": reminderCancelled, "cust-1/v2/1h0m0s": reminderCancelled,
			"real-1/v2/24h0m0s": reminderCancelled, "real-1/v2/1h0m0s": reminderCancelled,
			"cust-1/v4/24h0m0s": reminderSent, "cust-1/v4/1h0m0s": reminderSent,
			"real-1/v4/24h0m0s": reminderSent, "real-1/v4/1h0m0s": reminderSent,
		}
		got := reminderStates(t, in.store, "tour-r")
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("reminders = %v\nwant %v", got, want)
		}
	})
}

// TestRemindersTooLateAreSkipped: a tour booked 30 minutes ahead gets no
// reminder at all, and after downtime only the most recent due reminder
// goes out, not a pile of stale ones.
func TestRemindersTooLateAreSkipped(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		db := openDB(t, open)
		in := newInstance(t, db, clk, Config{})
		in.register(t, customer, realtor)
		soon := tour("tour-soon", customer.UserID, realtor.UserID, 2, t0.Add(30*time.Minute))
		in.handle(t, scheduled(t, soon, t0))
		if rs := reminderStates(t, in.store, "tour-soon"); len(rs) != 0 {
			t.Fatalf("a tour 30 minutes ahead got reminders %v", rs)
		}
		later := tour("tour-later", customer.UserID, realtor.UserID, 2, tourStart)
		in.handle(t, scheduled(t, later, t0))
		// Down through both offsets; back 30 minutes before the tour.
		clk.Set(tourStart.Add(-30 * time.Minute))
		in.run(t)
		settled(t, db, in.store, clk)
		expectReminders(t, in.store, "tour-later", 1)
		expectReminders(t, in.store, "tour-soon", 0)
		if body := inbox(t, in.store, customer.UserID)[0].Body; !strings.Contains(body, "starts in 1 hour") {
			t.Fatalf("the reminder sent is not the 1 h one: %s", body)
		}
		states := reminderStates(t, in.store, "tour-later")
		if states["cust-1/v2/24h0m0s"] != reminderSkipped || states["cust-1/v2/1h0m0s"] != reminderSent {
			t.Fatalf("states %v", states)
		}
	})
}

// TestTwoPollersSendEachReminderOnce runs two instances on one PostgreSQL
// database, woken at the same instants, over many tours.
func TestTwoPollersSendEachReminderOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		db1 := openDB(t, open)
		if db1.Dialect.Name != store.Postgres.Name {
			t.Skip("several instances share one database on PostgreSQL; a SQLite file has one process")
		}
		clk := clock.NewFake(t0)
		db2 := reopen(t, db1)
		cfg := Config{Mailer: &countingMailer{}}
		a := newInstance(t, db1, clk, cfg)
		b := newInstance(t, db2, clk, cfg)
		a.register(t, customer, realtor)
		const tours = 30
		for i := range tours {
			a.handle(t, scheduled(t, tour(fmt.Sprint("tour-", i), customer.UserID, realtor.UserID, 2, tourStart.Add(time.Duration(i)*time.Minute)), t0))
		}
		a.run(t)
		b.run(t)
		settled(t, db1, a.store, clk)
		mailer := cfg.Mailer.(*countingMailer)
		for step, at := range []time.Time{tourStart.Add(-24*time.Hour + tours*time.Minute), tourStart.Add(-time.Hour + tours*time.Minute)} {
			clk.Set(at)
			settled(t, db1, a.store, clk)
			for i := range tours {
				expectReminders(t, a.store, fmt.Sprint("tour-", i), step+1)
			}
		}
		// Every email (2 scheduled + 4 reminders per tour) went out once.
		if dup := mailer.duplicates(); len(dup) > 0 {
			t.Fatalf("emails sent more than once: %v", dup)
		}
		if got := mailer.total(); got != tours*6 {
			t.Fatalf("%d emails, want %d", got, tours*6)
		}
	})
}

// countingMailer records emails by Message-ID (the delivery id).
type countingMailer struct {
	mu   sync.Mutex
	sent map[string]int
	last map[string]OutgoingEmail
	fail int // fail this many sends first
}

func (m *countingMailer) Send(_ context.Context, e OutgoingEmail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail > 0 {
		m.fail--
		return fmt.Errorf("421 try again later")
	}
	if m.sent == nil {
		m.sent, m.last = map[string]int{}, map[string]OutgoingEmail{}
	}
	m.sent[e.ID]++
	m.last[e.To.Email] = e
	return nil
}

func (m *countingMailer) From() Person {
	return Person{Name: "openhouse", Email: "no-reply@openhouse.test"}
}

func (m *countingMailer) total() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.sent {
		n += c
	}
	return n
}

func (m *countingMailer) duplicates() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for id, c := range m.sent {
		if c > 1 {
			out[id] = c
		}
	}
	return out
}

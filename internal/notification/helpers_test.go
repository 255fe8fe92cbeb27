package notification

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

var (
	// t0 is when every test starts; tours are a few days later, in
	// Chicago, so messages show CST.
	t0        = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tourStart = time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC) // 10:00 CST
	quiet     = slog.New(slog.NewTextHandler(io.Discard, nil))
)

// openDB opens a fresh notification database with the outbox migrated.
func openDB(t *testing.T, open storetest.Opener) *store.DB {
	t.Helper()
	db := open(t, "notification")
	if err := outbox.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

// reopen opens a second handle on db's storage, as a restarted process or
// a second instance would: the same SQLite file, or the same PostgreSQL
// schema.
func reopen(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	ctx := context.Background()
	var cfg store.Config
	if db.Dialect.Name == store.SQLite.Name {
		var seq int
		var name, file string
		if err := db.QueryRowContext(ctx, `PRAGMA database_list`).Scan(&seq, &name, &file); err != nil {
			t.Fatal(err)
		}
		cfg.DataDir = filepath.Dir(file)
	} else {
		cfg.URL = os.Getenv(storetest.EnvURL)
	}
	again, err := store.Open(ctx, cfg, db.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { again.Close() })
	return again
}

// instance is one running notification service.
type instance struct {
	svc   *Service
	store *SQLStore
	db    *store.DB
	stop  func()
}

func newInstance(t *testing.T, db *store.DB, clk clock.Clock, cfg Config) *instance {
	t.Helper()
	st, err := NewSQLStore(context.Background(), db, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Clock = clk
	if cfg.Log == nil {
		cfg.Log = quiet
	}
	svc, err := New(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &instance{svc: svc, store: st, db: db, stop: func() {}}
}

// run starts the poller; stop ends it and waits for it to return.
func (in *instance) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.svc.Run(ctx) }()
	var once sync.Once
	in.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v", err)
			}
		})
	}
	t.Cleanup(in.stop)
}

// handle feeds one event to the service's handler for its type, as the
// bus would.
func (in *instance) handle(t *testing.T, ev bus.Event) {
	t.Helper()
	if err := in.handleErr(ev); err != nil {
		t.Fatalf("handle %s: %v", ev.Type(), err)
	}
}

// handleErr feeds one event and returns the handler's error.
func (in *instance) handleErr(ev bus.Event) error {
	for _, sub := range in.svc.Subscriptions() {
		if h, ok := sub.Handlers[ev.Type()]; ok {
			return h(context.Background(), ev)
		}
	}
	return errors.New("no handler for " + ev.Type())
}

func event(t *testing.T, typ, subject string, data any, at time.Time) bus.Event {
	t.Helper()
	ev, err := bus.NewEvent(context.Background(), typ, subject, data, at)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// register puts users in the address book.
func (in *instance) register(t *testing.T, users ...events.UserRegistered) {
	t.Helper()
	for _, u := range users {
		if u.RegisteredAt.IsZero() {
			u.RegisteredAt = t0.Add(-time.Hour)
		}
		in.handle(t, event(t, events.TypeUserRegistered, u.UserID, u, u.RegisteredAt))
	}
}

func (in *instance) profile(t *testing.T, realtorID, zone string) {
	t.Helper()
	in.handle(t, event(t, events.TypeRealtorProfileChanged, realtorID, events.RealtorProfileChanged{
		RealtorID: realtorID, Name: "Rita", TimeZone: zone, Status: "available", Verified: true, Active: true, At: t0.Add(-time.Minute)}, t0))
}

// tour is a two-stop tour in Chicago.
func tour(id, customer, realtor string, version int, start time.Time) events.Tour {
	return events.Tour{
		TourID: id, CustomerID: customer, RealtorID: realtor, PaymentID: "pay-" + id, OrderID: "ord-" + id,
		Stops: []events.TourStop{
			{ListingID: "l-1", Title: "Lake loft, 3 bd; river view", Arrive: start, Leave: start.Add(30 * time.Minute)},
			{ListingID: "l-2", Title: "Wicker house", Arrive: start.Add(45 * time.Minute), Leave: start.Add(75 * time.Minute)},
		},
		TimeZone: "America/Chicago", ScheduledAt: start, EndsAt: start.Add(75 * time.Minute),
		Status: "scheduled", Version: version,
	}
}

func scheduled(t *testing.T, tr events.Tour, at time.Time) bus.Event {
	return event(t, events.TypeTourScheduled, tr.TourID, events.TourScheduled{Tour: tr, At: at}, at)
}

func rescheduled(t *testing.T, tr events.Tour, previous, at time.Time) bus.Event {
	tr.Status, tr.RealtorID = "pending", ""
	return event(t, events.TypeTourRescheduled, tr.TourID, events.TourRescheduled{Tour: tr, PreviousScheduledAt: previous, RescheduledAt: at}, at)
}

func cancelled(t *testing.T, tr events.Tour, at time.Time) bus.Event {
	tr.Status = "cancelled"
	return event(t, events.TypeTourCancelled, tr.TourID, events.TourCancelled{Tour: tr, Reason: "customer", CancelledBy: tr.CustomerID,
		Refund: events.Money{Amount: 4000, Currency: "USD"}, CancelledAt: at}, at)
}

func unassigned(t *testing.T, tr events.Tour, at time.Time) bus.Event {
	tr.Status, tr.RealtorID = "unassigned", ""
	return event(t, events.TypeTourUnassigned, tr.TourID, events.TourUnassigned{Tour: tr, At: at}, at)
}

// inbox is a user's whole inbox, newest first.
func inbox(t *testing.T, st Store, userID string) []notification {
	t.Helper()
	items, err := st.Notifications(context.Background(), userID, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// count counts a user's notifications of one kind about one tour.
func count(t *testing.T, st Store, userID string, kind Kind, tourID string) int {
	t.Helper()
	n := 0
	for _, it := range inbox(t, st, userID) {
		if it.Kind == kind && it.TourID == tourID {
			n++
		}
	}
	return n
}

// sent lists the NotificationSent events in db's outbox.
func sent(t *testing.T, db *store.DB) []events.NotificationSent {
	return outboxtest.Data[events.NotificationSent](t, db, events.TypeNotificationSent)
}

// waitFor waits, up to a real-time deadline, until cond holds. It checks
// after every commit to db and at least every 20 ms.
func waitFor(t *testing.T, db *store.DB, what string, cond func() bool) {
	t.Helper()
	commits := make(chan struct{}, 1)
	db.AfterCommit(func() {
		select {
		case commits <- struct{}{}:
		default:
		}
	})
	deadline := time.After(15 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-commits:
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// settled waits until nothing is due on the fake clock's present and no
// delivery is in flight: every due reminder is decided and every due
// delivery attempted and recorded.
// What the store holds then is final for this instant.
func settled(t *testing.T, db *store.DB, st Store, clk *clock.Fake) {
	t.Helper()
	waitFor(t, db, "the poller to catch up with "+clk.Now().Format(time.RFC3339), func() bool {
		next, ok, err := st.NextDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var sending int
		if err := db.QueryRowContext(context.Background(),
			`SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND claim <> ''`).Scan(&sending); err != nil {
			t.Fatal(err)
		}
		// Parked on the clock (waiting for the next due time), with nothing
		// due and nothing being sent.
		return (!ok || next.After(clk.Now())) && sending == 0 && clk.Waiters() > 0
	})
}

// reminderStates maps a tour's reminders to "user/offset" -> state.
func reminderStates(t *testing.T, st Store, tourID string) map[string]reminderState {
	t.Helper()
	rs, err := st.Reminders(context.Background(), tourID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]reminderState{}
	for _, r := range rs {
		out[fmt.Sprintf("%s/v%d/%s", r.UserID, r.TourVersion, r.Offset)] = r.State
	}
	return out
}

// exec runs a statement against db (for test set-ups).
func exec(t *testing.T, db *store.DB, query string, args ...any) sql.Result {
	t.Helper()
	res, err := db.ExecContext(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

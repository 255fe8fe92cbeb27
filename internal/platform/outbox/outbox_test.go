package outbox_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/bus/bustest"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

const typeHappened = "openhouse.demo.thing.happened.v1"

// effects is what a consumer in these tests does: one row per applied
// event, with no uniqueness, so applying an event twice shows as two rows.
var effects = fstest.MapFS{"00001_effects.sql": {Data: []byte(`-- +goose Up
CREATE TABLE effects (seq {{.Serial}}, event_id TEXT NOT NULL);
-- +goose Down
DROP TABLE effects;
`)}}

func openDB(t testing.TB, open storetest.Opener, name string) *store.DB {
	t.Helper()
	db := open(t, name)
	ctx := context.Background()
	if err := outbox.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "effects", effects, "."); err != nil {
		t.Fatal(err)
	}
	return db
}

// write commits n events through the outbox and returns their ids.
func write(t *testing.T, db *store.DB, n int) []string {
	t.Helper()
	ctx := context.Background()
	ids := make([]string, 0, n)
	for i := range n {
		ev, err := bus.NewEvent(ctx, typeHappened, fmt.Sprint(i), map[string]int{"i": i}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *sql.Tx) error { return outbox.Add(ctx, tx, ev) }); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID())
	}
	return ids
}

// consume subscribes a consumer that records each event in the effects
// table of db through the inbox.
func consume(t *testing.T, b *bus.Bus, db *store.DB) {
	t.Helper()
	h := outbox.Inbox(db, "effects", time.Now, func(ctx context.Context, tx *sql.Tx, ev bus.Event) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO effects (event_id) VALUES ($1)`, ev.ID())
		return err
	})
	if _, err := b.Subscribe(context.Background(), bus.Subscription{Consumer: "consumer", Stream: "demo",
		Handlers: map[string]bus.Handler{typeHappened: h}}); err != nil {
		t.Fatal(err)
	}
}

// applied returns how many times each event was applied by the consumer.
func applied(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	rows, err := db.Query(`SELECT event_id FROM effects`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out[id]++
	}
	return out
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// appliedOnce waits until every id has been applied, then checks that each
// was applied exactly once and nothing else was.
func appliedOnce(t *testing.T, db *store.DB, ids []string) {
	t.Helper()
	eventually(t, "all events applied", func() bool { return len(applied(t, db)) >= len(ids) })
	got := applied(t, db)
	if len(got) != len(ids) {
		t.Fatalf("applied %d distinct events, want %d", len(got), len(ids))
	}
	for _, id := range ids {
		if got[id] != 1 {
			t.Fatalf("event %s applied %d times, want 1", id, got[id])
		}
	}
}

func streamHolds(t *testing.T, b *bus.Bus, want int) {
	t.Helper()
	n, err := b.StreamMessages(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	if n != uint64(want) {
		t.Fatalf("stream holds %d messages, want %d", n, want)
	}
}

func pendingRows(t *testing.T, db *store.DB) int {
	t.Helper()
	n, _, err := outbox.Backlog(context.Background(), db, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRelayPublishesOnlyCommittedEvents(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		db := openDB(t, open, "svc")
		b := bustest.Embedded(t).Connect(t)
		ids := write(t, db, 3)
		ev, _ := bus.NewEvent(ctx, typeHappened, "rolled-back", nil, time.Now())
		boom := errors.New("boom")
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			if err := outbox.Add(ctx, tx, ev); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		relay := outbox.NewRelay(db, b, outbox.RelayConfig{})
		n, err := relay.Flush(ctx)
		if err != nil || n != 3 {
			t.Fatalf("Flush = %d, %v; want 3", n, err)
		}
		consume(t, b, db)
		appliedOnce(t, db, ids)
		streamHolds(t, b, 3)
		if pendingRows(t, db) != 0 {
			t.Fatal("rows still pending after Flush")
		}
	})
}

func TestRelayWakesOnCommitWithoutPolling(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		db := openDB(t, open, "svc")
		b := bustest.Embedded(t).Connect(t)
		consume(t, b, db)
		// A fake clock that never moves: the poll never fires, so only the
		// commit hook can wake the relay.
		fake := clock.NewFake(time.Now())
		runRelay(t, outbox.NewRelay(db, b, outbox.RelayConfig{Clock: fake, PollInterval: time.Hour}))
		if !fake.WaitForWaiters(1, time.After(10*time.Second)) {
			t.Fatal("relay never parked on its poll")
		}
		appliedOnce(t, db, write(t, db, 5))
	})
}

func TestRelayPollsForRowsWrittenElsewhere(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		db := openDB(t, open, "svc")
		b := bustest.Embedded(t).Connect(t)
		consume(t, b, db)
		fake := clock.NewFake(time.Now())
		runRelay(t, outbox.NewRelay(db, b, outbox.RelayConfig{Clock: fake, PollInterval: time.Second}))
		if !fake.WaitForWaiters(1, time.After(10*time.Second)) {
			t.Fatal("relay never parked on its poll")
		}
		// Another process's write: straight into the table, no commit hook here.
		ev, _ := bus.NewEvent(ctx, typeHappened, "elsewhere", nil, time.Now())
		payload, _ := bus.Encode(ev)
		if _, err := db.ExecContext(ctx, `INSERT INTO outbox (event_id, type, payload, state, created_at) VALUES ($1, $2, $3, 'pending', $4)`,
			ev.ID(), ev.Type(), payload, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		if pendingRows(t, db) != 1 {
			t.Fatal("row was published before the poll fired")
		}
		fake.Advance(time.Second)
		appliedOnce(t, db, []string{ev.ID()})
	})
}

// On SQLite the relay marks what it published after MarkDelay without new
// rows, in one transaction; until then the rows stay pending, and a relay
// that starts over publishes them again, which the stream drops.
func TestRelayMarksAfterAPause(t *testing.T) {
	db := openDB(t, storetest.OpenSQLite, "svc")
	env := bustest.Embedded(t)
	b := env.Connect(t)
	fake := clock.NewFake(time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	relay := outbox.NewRelay(db, b, outbox.RelayConfig{Clock: fake, PollInterval: time.Hour, MarkDelay: 100 * time.Millisecond})
	go func() { done <- relay.Run(ctx) }()
	ids := write(t, db, 3)
	eventually(t, "the three events in the stream", func() bool {
		n, err := b.StreamMessages(context.Background(), "demo")
		return err == nil && n == 3
	})
	if !fake.WaitForWaiters(1, time.After(10*time.Second)) {
		t.Fatal("relay never waited")
	}
	if n := pendingRows(t, db); n != 3 {
		t.Fatalf("%d rows pending before MarkDelay passed, want the 3 published ones", n)
	}
	// The process dies here: another relay publishes the rows again.
	cancel()
	<-done
	restarted := env.Connect(t)
	if n, err := outbox.NewRelay(db, restarted, outbox.RelayConfig{}).Flush(context.Background()); err != nil || n != 3 {
		t.Fatalf("Flush after the restart = %d, %v", n, err)
	}
	streamHolds(t, restarted, 3)
	consume(t, restarted, db)
	appliedOnce(t, db, ids)

	// A relay that lives on marks them once MarkDelay has passed, or when
	// it is paused (a backup's streams then hold exactly the rows marked).
	more := write(t, db, 2)
	fake = clock.NewFake(time.Now())
	living := outbox.NewRelay(db, restarted, outbox.RelayConfig{Clock: fake, PollInterval: time.Hour, MarkDelay: 100 * time.Millisecond})
	runRelay(t, living)
	ids = append(ids, more...)
	appliedOnce(t, db, ids)
	if !fake.WaitForWaiters(1, time.After(10*time.Second)) {
		t.Fatal("relay never waited")
	}
	fake.Advance(100 * time.Millisecond)
	eventually(t, "the rows marked", func() bool { return pendingRows(t, db) == 0 })

	last := write(t, db, 1)
	appliedOnce(t, db, append(ids, last...))
	if n := pendingRows(t, db); n != 1 {
		t.Fatalf("%d rows pending before the pause, want the one published", n)
	}
	resume, err := living.Pause(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer resume()
	if n := pendingRows(t, db); n != 0 {
		t.Fatalf("%d rows pending while paused: a published row is not marked", n)
	}
}

// crashingPublisher publishes for real, then dies (panics) right after its
// n-th publish, before the relay can record it: the crash between publish
// and mark.
type crashingPublisher struct {
	pub   outbox.Publisher
	after int
	count int
}

var errCrash = errors.New("process killed")

func (c *crashingPublisher) PublishEncoded(ctx context.Context, id, typ string, data []byte) (bus.Ack, error) {
	ack, err := c.pub.PublishEncoded(ctx, id, typ, data)
	if err != nil {
		return nil, err
	}
	if err := ack.Wait(ctx); err != nil {
		return nil, err
	}
	c.count++
	if c.count == c.after {
		panic(errCrash)
	}
	return ack, nil
}

func flushUntilCrash(t *testing.T, relay *outbox.Relay) {
	t.Helper()
	defer func() {
		if p := recover(); p != errCrash {
			t.Fatalf("relay did not crash as planned: %v", p)
		}
	}()
	_, _ = relay.Flush(context.Background())
}

func TestCrashBetweenCommitAndPublish(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		db := openDB(t, open, "svc")
		env := bustest.Embedded(t)
		// The process commits its events and dies before any relay runs.
		ids := write(t, db, 10)
		if pendingRows(t, db) != 10 {
			t.Fatal("events are not pending")
		}
		// After the restart the new relay finds and publishes them.
		b := env.Connect(t)
		consume(t, b, db)
		runRelay(t, outbox.NewRelay(db, b, outbox.RelayConfig{}))
		appliedOnce(t, db, ids)
		streamHolds(t, b, 10)
	})
}

func TestCrashBetweenPublishAndMark(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		db := openDB(t, open, "svc")
		env := bustest.Embedded(t)
		b := env.Connect(t)
		ids := write(t, db, 10)
		// The first process publishes 4 events, then dies before marking any.
		flushUntilCrash(t, outbox.NewRelay(db, &crashingPublisher{pub: b, after: 4}, outbox.RelayConfig{}))
		if n := pendingRows(t, db); n < 7 {
			t.Fatalf("%d rows pending after the crash, want at least the 7 never published", n)
		}
		// The restarted process publishes everything again; JetStream drops
		// the duplicates and the consumer's inbox would absorb any left.
		restarted := env.Connect(t)
		consume(t, restarted, db)
		runRelay(t, outbox.NewRelay(db, restarted, outbox.RelayConfig{}))
		appliedOnce(t, db, ids)
		streamHolds(t, restarted, 10)
	})
}

// refusingPublisher publishes through pub, except that JetStream's answer
// to the first publish of each event in refuse is a failure (the event is
// not stored).
type refusingPublisher struct {
	pub    outbox.Publisher
	mu     sync.Mutex
	refuse map[string]bool
}

type refusedAck struct{ id string }

func (a refusedAck) Wait(context.Context) error { return fmt.Errorf("refused %s", a.id) }

func (p *refusingPublisher) PublishEncoded(ctx context.Context, id, typ string, data []byte) (bus.Ack, error) {
	p.mu.Lock()
	refuse := p.refuse[id]
	delete(p.refuse, id)
	p.mu.Unlock()
	if refuse {
		return refusedAck{id}, nil
	}
	return p.pub.PublishEncoded(ctx, id, typ, data)
}

// A publish that fails holds back the later events about the same thing
// (until a later round publishes it first) but not the events about other
// things: about each thing the stream keeps the commit order.
func TestFailedPublishKeepsEachThingInOrder(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		db := openDB(t, open, "svc")
		b := bustest.Embedded(t).Connect(t)
		var stream []bus.Event
		var mu sync.Mutex
		stop, err := b.Tail(ctx, "demo", func(ev bus.Event) {
			mu.Lock()
			stream = append(stream, ev)
			mu.Unlock()
		})
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		var order []bus.Event // a1 b1 a2 b2 a3 c1
		for _, subject := range []string{"a", "b", "a", "b", "a", "c"} {
			ev, _ := bus.NewEvent(ctx, typeHappened, subject, nil, time.Now())
			if err := db.InTx(ctx, func(tx *sql.Tx) error { return outbox.Add(ctx, tx, ev) }); err != nil {
				t.Fatal(err)
			}
			order = append(order, ev)
		}
		pub := &refusingPublisher{pub: b, refuse: map[string]bool{order[0].ID(): true}}
		relay := outbox.NewRelay(db, pub, outbox.RelayConfig{})
		if n, err := relay.Flush(ctx); err == nil || n == 0 || n == len(order) {
			t.Fatalf("first Flush = %d, %v; want some published and the refusal", n, err)
		}
		if n, err := relay.Flush(ctx); err != nil {
			t.Fatalf("second Flush = %d, %v", n, err)
		}
		eventually(t, "every event in the stream", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(stream) == len(order)
		})
		mu.Lock()
		defer mu.Unlock()
		if stream[0].ID() == order[0].ID() {
			t.Error("the refused event was stored first: nothing went ahead of it")
		}
		seen := map[string]int{}
		for _, ev := range stream {
			seen[ev.ID()]++
		}
		for subject, want := range map[string][]int{"a": {0, 2, 4}, "b": {1, 3}, "c": {5}} {
			var got []string
			for _, ev := range stream {
				if ev.Subject() == subject {
					got = append(got, ev.ID())
				}
			}
			for i, j := range want {
				if i >= len(got) || got[i] != order[j].ID() {
					t.Errorf("events about %s stored as %v, want in commit order", subject, got)
					break
				}
			}
		}
		for _, ev := range order {
			if seen[ev.ID()] != 1 {
				t.Errorf("event %s stored %d times", ev.ID(), seen[ev.ID()])
			}
		}
	})
}

// countingPublisher counts publishes per event id.
type countingPublisher struct {
	pub outbox.Publisher
	mu  sync.Mutex
	n   map[string]int
}

func (c *countingPublisher) PublishEncoded(ctx context.Context, id, typ string, data []byte) (bus.Ack, error) {
	ack, err := c.pub.PublishEncoded(ctx, id, typ, data)
	if err != nil {
		return nil, err
	}
	if err := ack.Wait(ctx); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.n[id]++
	c.mu.Unlock()
	return ack, nil
}

func (c *countingPublisher) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.n)
}

// TestTwoRelaysOnOnePostgres runs two relays on one database while writers
// commit: every row is published by exactly one relay.
func TestTwoRelaysOnOnePostgres(t *testing.T) {
	db := openDB(t, storetest.OpenPostgres, "svc")
	env := bustest.Embedded(t)
	b := env.Connect(t)
	counter := &countingPublisher{pub: b, n: map[string]int{}}
	for range 2 {
		runRelay(t, outbox.NewRelay(db, counter, outbox.RelayConfig{Batch: 7, PollInterval: 5 * time.Millisecond}))
	}
	const writers, each = 3, 100
	var wg sync.WaitGroup
	idsCh := make(chan []string, writers)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			idsCh <- write(t, db, each)
		}()
	}
	wg.Wait()
	close(idsCh)
	var ids []string
	for part := range idsCh {
		ids = append(ids, part...)
	}
	eventually(t, "every row published", func() bool { return counter.total() == len(ids) && pendingRows(t, db) == 0 })
	counter.mu.Lock()
	for _, id := range ids {
		if counter.n[id] != 1 {
			t.Errorf("event %s published %d times, want 1", id, counter.n[id])
		}
	}
	counter.mu.Unlock()
	consume(t, b, db)
	appliedOnce(t, db, ids)
	streamHolds(t, b, len(ids))
}

func TestInboxAppliesAnEventOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		db := openDB(t, open, "svc")
		h := outbox.Inbox(db, "effects", time.Now, func(ctx context.Context, tx *sql.Tx, ev bus.Event) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO effects (event_id) VALUES ($1)`, ev.ID())
			return err
		})
		ev, _ := bus.NewEvent(ctx, typeHappened, "x", nil, time.Now())
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- h(ctx, ev)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := applied(t, db)[ev.ID()]; got != 1 {
			t.Fatalf("applied %d times, want 1", got)
		}
		// A failing handler records nothing, so the retry applies it.
		other, _ := bus.NewEvent(ctx, typeHappened, "y", nil, time.Now())
		failing := outbox.Inbox(db, "effects", time.Now, func(context.Context, *sql.Tx, bus.Event) error { return errors.New("fail") })
		if err := failing(ctx, other); err == nil {
			t.Fatal("failing handler reported success")
		}
		if err := h(ctx, other); err != nil {
			t.Fatal(err)
		}
		if got := applied(t, db)[other.ID()]; got != 1 {
			t.Fatalf("retried event applied %d times, want 1", got)
		}
	})
}

func TestBacklogReportsAge(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		db := openDB(t, open, "svc")
		ctx := context.Background()
		ev, _ := bus.NewEvent(ctx, typeHappened, "old", nil, time.Now().Add(-time.Minute))
		if err := db.InTx(ctx, func(tx *sql.Tx) error { return outbox.Add(ctx, tx, ev) }); err != nil {
			t.Fatal(err)
		}
		n, age, err := outbox.Backlog(ctx, db, time.Now())
		if err != nil || n != 1 || age < time.Minute || age > 2*time.Minute {
			t.Fatalf("Backlog = %d, %v, %v", n, age, err)
		}
	})
}

// runRelay runs relay until the test ends and checks that it stops.
func runRelay(t *testing.T, relay *outbox.Relay) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- relay.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("relay stopped with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("relay did not stop")
		}
	})
}

// blockingPublisher publishes for real once released, and says when a
// publish has started.
type blockingPublisher struct {
	pub     outbox.Publisher
	started chan struct{}
	release chan struct{}
}

func (p *blockingPublisher) PublishEncoded(ctx context.Context, id, typ string, data []byte) (bus.Ack, error) {
	select {
	case p.started <- struct{}{}:
	default:
	}
	<-p.release
	return p.pub.PublishEncoded(ctx, id, typ, data)
}

// TestPauseHoldsTheRelay: Pause waits for the round in progress to be
// published and marked, and no round runs until resume; what commits
// meanwhile stays pending, then goes out once.
func TestPauseHoldsTheRelay(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, storetest.OpenSQLite, "svc")
	b := bustest.Embedded(t).Connect(t)
	pub := &blockingPublisher{pub: b, started: make(chan struct{}, 1), release: make(chan struct{})}
	relay := outbox.NewRelay(db, pub, outbox.RelayConfig{})
	first := write(t, db, 2)
	flushed := make(chan error, 1)
	go func() {
		_, err := relay.Flush(ctx)
		flushed <- err
	}()
	<-pub.started

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := relay.Pause(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Pause during a round = %v, want it to wait for the round", err)
	}
	close(pub.release)
	resume, err := relay.Pause(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if n := pendingRows(t, db); n != 0 {
		t.Fatalf("%d rows of the finished round still pending", n)
	}

	second := write(t, db, 3)
	blocked, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	if n, err := relay.Flush(blocked); n != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Flush while paused = %d, %v; want it to wait", n, err)
	}
	if n := pendingRows(t, db); n != 3 {
		t.Fatalf("%d rows pending while paused, want 3", n)
	}
	streamHolds(t, b, 2)
	resume()
	resume() // harmless
	if n, err := relay.Flush(ctx); n != 3 || err != nil {
		t.Fatalf("Flush after resume = %d, %v; want 3", n, err)
	}
	consume(t, b, db)
	appliedOnce(t, db, append(first, second...))
}

// TestRestartRetentionKeepsTheInbox: a database restored from a backup
// older than the retention still drops an event it applied before the
// backup, after the relay's first prune.
func TestRestartRetentionKeepsTheInbox(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, storetest.OpenSQLite, "svc")
	b := bustest.Embedded(t).Connect(t)
	backupTime := time.Now().Add(-100 * time.Hour)
	apply := func() {
		t.Helper()
		err := outbox.Once(ctx, db, "effects", "event-1", func() time.Time { return backupTime }, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO effects (event_id) VALUES ($1)`, "event-1")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	apply()
	if err := outbox.RestartRetention(ctx, db, time.Now()); err != nil {
		t.Fatal(err)
	}
	fake := clock.NewFake(time.Now())
	runRelay(t, outbox.NewRelay(db, b, outbox.RelayConfig{Clock: fake}))
	if !fake.WaitForWaiters(1, time.After(10*time.Second)) {
		t.Fatal("relay never parked after its first round and prune")
	}
	apply() // the redelivery after the restore
	if got := applied(t, db)["event-1"]; got != 1 {
		t.Fatalf("event applied %d times, want 1", got)
	}
}

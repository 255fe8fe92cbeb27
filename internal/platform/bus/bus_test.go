package bus_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/bus/bustest"
)

const (
	typeCreated = "openhouse.demo.thing.created.v1"
	typeDeleted = "openhouse.demo.thing.deleted.v1"
)

type thing struct {
	Name string `json:"name"`
}

// recorder is a handler that remembers what it handled.
type recorder struct {
	mu     sync.Mutex
	events []bus.Event
	ctxs   []context.Context
	fail   atomic.Bool
	calls  atomic.Int32
}

func (r *recorder) handle(ctx context.Context, ev bus.Event) error {
	r.calls.Add(1)
	if r.fail.Load() {
		return errors.New("handler is broken")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	r.ctxs = append(r.ctxs, ctx)
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.events))
	for i, ev := range r.events {
		out[i] = ev.ID()
	}
	return out
}

// eventually waits for cond with a deadline; it never sleeps blindly.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func newEvent(t *testing.T, ctx context.Context, typ, name string) bus.Event {
	t.Helper()
	ev, err := bus.NewEvent(ctx, typ, name, thing{Name: name}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func fastRetries(sub bus.Subscription) bus.Subscription {
	sub.Backoff = func(int) time.Duration { return 10 * time.Millisecond }
	return sub
}

// contract is the behaviour every backend must show; TestContract runs each
// case unchanged, on a fresh bus, against the embedded server and a real
// nats-server.
var contract = map[string]func(t *testing.T, env bustest.Env){
	"delivers the envelope with data and trace context": func(t *testing.T, env bustest.Env) {
		ctx := context.Background()
		b := env.Connect(t)
		rec := &recorder{}
		if _, err := b.Subscribe(ctx, bus.Subscription{Consumer: "alpha", Stream: "demo",
			Handlers: map[string]bus.Handler{typeCreated: rec.handle}}); err != nil {
			t.Fatal(err)
		}
		traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
		spanID, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
		traced := trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled, Remote: true}))
		sent := newEvent(t, traced, typeCreated, "house")
		if err := b.Publish(ctx, sent); err != nil {
			t.Fatal(err)
		}
		eventually(t, "delivery", func() bool { return rec.count() == 1 })
		got := rec.events[0]
		if got.ID() != sent.ID() || got.Type() != typeCreated || got.Subject() != "house" || got.Source() != "/openhouse/demo" {
			t.Fatalf("got %v, sent %v", got, sent)
		}
		var data thing
		if err := got.DataAs(&data); err != nil || data.Name != "house" {
			t.Fatalf("data = %+v, %v", data, err)
		}
		sc := trace.SpanContextFromContext(rec.ctxs[0])
		if sc.TraceID() != traceID {
			t.Fatalf("handler trace id = %s, want %s", sc.TraceID(), traceID)
		}
	},

	"the same event id published twice is delivered once": func(t *testing.T, env bustest.Env) {
		ctx := context.Background()
		b := env.Connect(t)
		rec := &recorder{}
		ev := newEvent(t, ctx, typeCreated, "dup")
		for range 3 {
			if err := b.Publish(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		// The marker is about the same thing, so it is handled after every
		// copy that was delivered (events about different things may be
		// handled in any order).
		marker := newEvent(t, ctx, typeCreated, "dup")
		if err := b.Publish(ctx, marker); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Subscribe(ctx, bus.Subscription{Consumer: "beta", Stream: "demo",
			Handlers: map[string]bus.Handler{typeCreated: rec.handle}}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "marker", func() bool {
			ids := rec.ids()
			return len(ids) > 0 && ids[len(ids)-1] == marker.ID()
		})
		n := 0
		for _, id := range rec.ids() {
			if id == ev.ID() {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("duplicate event delivered %d times, want 1", n)
		}
	},

	"only subscribed types are delivered": func(t *testing.T, env bustest.Env) {
		ctx := context.Background()
		b := env.Connect(t)
		rec := &recorder{}
		if _, err := b.Subscribe(ctx, bus.Subscription{Consumer: "gamma", Stream: "demo",
			Handlers: map[string]bus.Handler{typeDeleted: rec.handle}}); err != nil {
			t.Fatal(err)
		}
		created := newEvent(t, ctx, typeCreated, "x")
		deleted := newEvent(t, ctx, typeDeleted, "x")
		for _, ev := range []bus.Event{created, deleted} {
			if err := b.Publish(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, "deleted", func() bool { return rec.count() >= 1 })
		if ids := rec.ids(); len(ids) != 1 || ids[0] != deleted.ID() {
			t.Fatalf("delivered %v, want only %s", ids, deleted.ID())
		}
	},

	"a durable consumer gets what was published while it was away": func(t *testing.T, env bustest.Env) {
		ctx := context.Background()
		b := env.Connect(t)
		sub := bus.Subscription{Consumer: "delta", Stream: "demo"}
		first := &recorder{}
		sub.Handlers = map[string]bus.Handler{typeCreated: first.handle}
		c, err := b.Subscribe(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Publish(ctx, newEvent(t, ctx, typeCreated, "one")); err != nil {
			t.Fatal(err)
		}
		eventually(t, "first", func() bool { return first.count() == 1 })
		c.Stop()
		missed := newEvent(t, ctx, typeCreated, "two")
		if err := b.Publish(ctx, missed); err != nil {
			t.Fatal(err)
		}
		again := &recorder{}
		sub.Handlers = map[string]bus.Handler{typeCreated: again.handle}
		if _, err := env.Connect(t).Subscribe(ctx, sub); err != nil {
			t.Fatal(err)
		}
		eventually(t, "missed event", func() bool { return again.count() == 1 })
		if again.ids()[0] != missed.ID() {
			t.Fatalf("after restart got %v, want only %s", again.ids(), missed.ID())
		}
	},

	"two instances of a consumer share the events": func(t *testing.T, env bustest.Env) {
		ctx := context.Background()
		sub := bus.Subscription{Consumer: "epsilon", Stream: "demo"}
		a, b := &recorder{}, &recorder{}
		for _, r := range []*recorder{a, b} {
			s := sub
			s.Handlers = map[string]bus.Handler{typeCreated: r.handle}
			if _, err := env.Connect(t).Subscribe(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		pub := env.Connect(t)
		const n = 200
		for i := range n {
			if err := pub.Publish(ctx, newEvent(t, ctx, typeCreated, "e"+string(rune('a'+i%26)))); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, "all events", func() bool { return a.count()+b.count() >= n })
		seen := map[string]bool{}
		for _, id := range append(a.ids(), b.ids()...) {
			if seen[id] {
				t.Fatalf("event %s handled by both instances", id)
			}
			seen[id] = true
		}
		if len(seen) != n {
			t.Fatalf("handled %d distinct events, want %d", len(seen), n)
		}
	},

	"a failing handler is retried, dead-lettered, and replay applies it once": func(t *testing.T, env bustest.Env) {
		ctx := context.Background()
		b := env.Connect(t)
		rec := &recorder{}
		rec.fail.Store(true)
		sub := fastRetries(bus.Subscription{Consumer: "zeta", Stream: "demo", MaxAttempts: 3,
			Handlers: map[string]bus.Handler{typeCreated: rec.handle}})
		if _, err := b.Subscribe(ctx, sub); err != nil {
			t.Fatal(err)
		}
		poison := newEvent(t, ctx, typeCreated, "poison")
		if err := b.Publish(ctx, poison); err != nil {
			t.Fatal(err)
		}
		var dead []bus.DeadLetter
		eventually(t, "dead letter", func() bool {
			var err error
			dead, err = b.DeadLetters(ctx, 0, 100)
			return err == nil && len(dead) == 1
		})
		if got := rec.calls.Load(); got != 3 {
			t.Fatalf("handler called %d times before dead-lettering, want 3", got)
		}
		dl := dead[0]
		if dl.Consumer != "zeta" || dl.Stream != "demo" || dl.EventID != poison.ID() || dl.Attempts != 3 || dl.Error == "" {
			t.Fatalf("dead letter = %+v", dl)
		}
		rec.fail.Store(false) // the fix is deployed
		if err := b.Replay(ctx, dl.Seq); err != nil {
			t.Fatal(err)
		}
		eventually(t, "replayed event", func() bool { return rec.count() == 1 })
		if rec.ids()[0] != poison.ID() {
			t.Fatalf("replay delivered %v", rec.ids())
		}
		if dead, err := b.DeadLetters(ctx, 0, 100); err != nil || len(dead) != 0 {
			t.Fatalf("dead letters after replay = %v, %v", dead, err)
		}
		if err := b.Replay(ctx, dl.Seq); !errors.Is(err, bus.ErrDeadLetterNotFound) {
			t.Fatalf("second replay error = %v, want ErrDeadLetterNotFound", err)
		}
	},

	"a permanent error dead-letters at once": func(t *testing.T, env bustest.Env) {
		ctx := context.Background()
		b := env.Connect(t)
		var calls atomic.Int32
		if _, err := b.Subscribe(ctx, bus.Subscription{Consumer: "eta", Stream: "demo", MaxAttempts: 5,
			Handlers: map[string]bus.Handler{typeCreated: func(context.Context, bus.Event) error {
				calls.Add(1)
				return bus.Permanent(errors.New("malformed"))
			}}}); err != nil {
			t.Fatal(err)
		}
		if err := b.Publish(ctx, newEvent(t, ctx, typeCreated, "bad")); err != nil {
			t.Fatal(err)
		}
		eventually(t, "dead letter", func() bool {
			dead, err := b.DeadLetters(ctx, 0, 100)
			return err == nil && len(dead) == 1 && dead[0].Consumer == "eta"
		})
		if calls.Load() != 1 {
			t.Fatalf("handler called %d times, want 1", calls.Load())
		}
	},
}

// forgeries are events whose envelope does not match where they came from.
func init() {
	contract["dead-letters events whose source may not publish their type"] = func(t *testing.T, env bustest.Env) {
		ctx := context.Background()
		b := env.Connect(t)
		rec := &recorder{}
		if _, err := b.Subscribe(ctx, bus.Subscription{Consumer: "alpha", Stream: "demo",
			Handlers: map[string]bus.Handler{typeCreated: rec.handle, typeDeleted: rec.handle}}); err != nil {
			t.Fatal(err)
		}
		// Another service's source on demo's type and subject.
		wrongSource := newEvent(t, ctx, typeCreated, "wrong source")
		wrongSource.SetSource(bus.Source("cart"))
		if err := b.Publish(ctx, wrongSource); err != nil {
			t.Fatal(err)
		}
		encode := func(ev bus.Event) []byte {
			raw, err := bus.Encode(ev)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}
		// A deleted event put on the created subject, and another
		// service's event, type and source alike, on demo's subject.
		if err := b.PublishRaw(ctx, "events.demo.thing.created.v1", encode(newEvent(t, ctx, typeDeleted, "wrong subject"))); err != nil {
			t.Fatal(err)
		}
		if err := b.PublishRaw(ctx, "events.demo.thing.created.v1", encode(newEvent(t, ctx, "openhouse.cart.thing.created.v1", "other stream"))); err != nil {
			t.Fatal(err)
		}
		genuine := newEvent(t, ctx, typeCreated, "genuine")
		if err := b.Publish(ctx, genuine); err != nil {
			t.Fatal(err)
		}
		var dead []bus.DeadLetter
		eventually(t, "three dead letters", func() bool {
			var err error
			dead, err = b.DeadLetters(ctx, 0, 10)
			return err == nil && len(dead) == 3
		})
		eventually(t, "the genuine event", func() bool { return rec.count() == 1 })
		if ids := rec.ids(); ids[0] != genuine.ID() {
			t.Fatalf("handled %v, want only %s", ids, genuine.ID())
		}
		for _, dl := range dead {
			if !strings.Contains(dl.Error, bus.ErrForged.Error()) || dl.Attempts != 1 {
				t.Errorf("dead letter %+v: want a forgery refused at the first attempt", dl)
			}
		}
		if rec.calls.Load() != 1 {
			t.Fatalf("the handler ran %d times, want once", rec.calls.Load())
		}
	}
}

func TestContract(t *testing.T) {
	for name, run := range contract {
		t.Run(name, func(t *testing.T) { bustest.Run(t, run) })
	}
}

func TestSubscriptionValidation(t *testing.T) {
	b := bustest.Embedded(t).Connect(t)
	ctx := context.Background()
	noop := func(context.Context, bus.Event) error { return nil }
	cases := map[string]bus.Subscription{
		"no handlers":       {Consumer: "a", Stream: "demo"},
		"bad consumer name": {Consumer: "A-1", Stream: "demo", Handlers: map[string]bus.Handler{typeCreated: noop}},
		"type of another stream": {Consumer: "a", Stream: "other",
			Handlers: map[string]bus.Handler{typeCreated: noop}},
		"malformed type": {Consumer: "a", Stream: "demo", Handlers: map[string]bus.Handler{"demo.created": noop}},
	}
	for name, sub := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := b.Subscribe(ctx, sub); err == nil {
				t.Fatal("Subscribe accepted an invalid subscription")
			}
		})
	}
}

func TestEventTypes(t *testing.T) {
	cases := map[string]bool{
		"openhouse.tour.created.v1":            true,
		"openhouse.iam.user.registered.v2":     true,
		"openhouse.tour.created":               false,
		"tour.created.v1":                      false,
		"openhouse.Tour.created.v1":            false,
		"openhouse.tour..v1":                   false,
		"openhouse.tour.created.v1.extra.junk": false,
	}
	for typ, ok := range cases {
		_, err := bus.ServiceOf(typ)
		if (err == nil) != ok {
			t.Errorf("ServiceOf(%q) error = %v, want ok=%v", typ, err, ok)
		}
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	for name, raw := range map[string]string{
		"not json":      "{",
		"no id":         `{"specversion":"1.0","source":"/openhouse/demo","type":"openhouse.demo.thing.created.v1"}`,
		"bad type":      `{"specversion":"1.0","id":"1","source":"/openhouse/demo","type":"nope"}`,
		"wrong version": `{"specversion":"0.1","id":"1","source":"/openhouse/demo","type":"openhouse.demo.thing.created.v1"}`,
	} {
		if _, err := bus.Decode([]byte(raw)); err == nil {
			t.Errorf("%s: Decode accepted %s", name, raw)
		}
	}
}

func FuzzDecode(f *testing.F) {
	ev, _ := bus.NewEvent(context.Background(), typeCreated, "x", thing{Name: "x"}, time.Unix(0, 0))
	good, _ := bus.Encode(ev)
	f.Add(good)
	f.Add([]byte(`{"specversion":"1.0"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := bus.Decode(raw)
		if err != nil {
			return
		}
		// Whatever decodes must survive a round trip unchanged.
		again, err := bus.Encode(ev)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		back, err := bus.Decode(again)
		if err != nil || back.ID() != ev.ID() || back.Type() != ev.Type() {
			t.Fatalf("round trip changed the event: %v", err)
		}
	})
}

func TestWatchSeesHistoryThenLive(t *testing.T) {
	bustest.Run(t, func(t *testing.T, env bustest.Env) {
		ctx := context.Background()
		b := env.Connect(t)
		old := newEvent(t, ctx, typeDeleted, "old")
		if err := b.Publish(ctx, old); err != nil {
			t.Fatal(err)
		}
		if err := b.Publish(ctx, newEvent(t, ctx, typeCreated, "ignored")); err != nil {
			t.Fatal(err)
		}
		// Two processes each see every event.
		var mu sync.Mutex
		seen := map[int][]string{}
		for i := range 2 {
			stop, err := env.Connect(t).Watch(ctx, "demo", []string{typeDeleted}, func(ev bus.Event) {
				mu.Lock()
				seen[i] = append(seen[i], ev.ID())
				mu.Unlock()
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(stop)
		}
		live := newEvent(t, ctx, typeDeleted, "live")
		if err := b.Publish(ctx, live); err != nil {
			t.Fatal(err)
		}
		eventually(t, "both watchers see both events", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(seen[0]) == 2 && len(seen[1]) == 2
		})
		mu.Lock()
		defer mu.Unlock()
		for i := range 2 {
			if seen[i][0] != old.ID() || seen[i][1] != live.ID() {
				t.Fatalf("watcher %d saw %v", i, seen[i])
			}
		}
	})
}

// TestWatchSinceReturnsCaughtUp: when WatchSince returns, h has every
// matching event stored before the call (none before since), so a process
// that waits for it never acts on half its history; live events follow.
func TestWatchSinceReturnsCaughtUp(t *testing.T) {
	bustest.Run(t, func(t *testing.T, env bustest.Env) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		b := env.Connect(t)
		// Nothing stored yet: it returns at once.
		stop, err := env.Connect(t).WatchSince(ctx, "demo", []string{typeDeleted}, time.Time{}, func(bus.Event) {})
		if err != nil {
			t.Fatal(err)
		}
		stop()

		before := newEvent(t, ctx, typeDeleted, "before the window")
		if err := b.Publish(ctx, before); err != nil {
			t.Fatal(err)
		}
		since := time.Now() // after the server stored the event above
		var want []string
		for i := range 200 {
			ev := newEvent(t, ctx, typeDeleted, fmt.Sprint("history ", i))
			if err := b.Publish(ctx, ev); err != nil {
				t.Fatal(err)
			}
			want = append(want, ev.ID())
			if err := b.Publish(ctx, newEvent(t, ctx, typeCreated, "another type")); err != nil {
				t.Fatal(err)
			}
		}
		var (
			mu          sync.Mutex
			seen, whole []string
		)
		stop, err = env.Connect(t).WatchSince(ctx, "demo", []string{typeDeleted}, since, func(ev bus.Event) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, ev.ID())
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
		copyOf := func(s *[]string) []string { // never Fatal holding mu: stop waits for h
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(*s)
		}
		if got := copyOf(&seen); !slices.Equal(got, want) {
			t.Fatalf("when WatchSince returned, h had %d events, want the %d stored since %s", len(got), len(want), since)
		}
		stopWhole, err := env.Connect(t).WatchSince(ctx, "demo", []string{typeDeleted}, time.Time{}, func(ev bus.Event) {
			mu.Lock()
			defer mu.Unlock()
			whole = append(whole, ev.ID())
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stopWhole)
		if got := copyOf(&whole); len(got) != len(want)+1 || got[0] != before.ID() {
			t.Fatalf("from the start: %d events, want %d", len(got), len(want)+1)
		}

		live := newEvent(t, ctx, typeDeleted, "live")
		if err := b.Publish(ctx, live); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the live event follows", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(seen) == len(want)+1 && seen[len(want)] == live.ID()
		})
	})
}

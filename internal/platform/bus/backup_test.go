package bus_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

// gatedHandler records events and, while gate is open (non-nil), waits on
// it before returning.
type gatedHandler struct {
	recorder
	entered chan string
	gate    chan struct{}
}

func (g *gatedHandler) handle(ctx context.Context, ev bus.Event) error {
	select {
	case g.entered <- ev.ID():
	default:
	}
	if g.gate != nil {
		<-g.gate
	}
	return g.recorder.handle(ctx, ev)
}

func embeddedBus(t *testing.T, dir string) *bus.Bus {
	t.Helper()
	b, err := bus.Connect(context.Background(), bus.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// TestPauseConsumers: a pause waits for the handler in flight, no handler
// starts while it lasts (the delivery waits in its lane), and resume lets
// the waiting delivery through.
func TestPauseConsumers(t *testing.T) {
	ctx := context.Background()
	b := embeddedBus(t, t.TempDir())
	h := &gatedHandler{entered: make(chan string, 1), gate: make(chan struct{})}
	release := sync.OnceFunc(func() { close(h.gate) })
	t.Cleanup(release) // before the bus closes, which waits for the handler
	if _, err := b.Subscribe(ctx, bus.Subscription{Consumer: "alpha", Stream: "demo",
		Handlers: map[string]bus.Handler{typeCreated: h.handle}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, newEvent(t, ctx, typeCreated, "first")); err != nil {
		t.Fatal(err)
	}
	<-h.entered
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := b.PauseConsumers(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PauseConsumers with a handler in flight = %v, want it to wait", err)
	}
	release()
	resume, err := b.PauseConsumers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.count() != 1 {
		t.Fatalf("the handler in flight had not finished when the pause began")
	}
	second := newEvent(t, ctx, typeCreated, "second")
	if err := b.Publish(ctx, second); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the second event delivered to the client", func() bool {
		info, err := b.ConsumerInfo(ctx, "demo", "alpha")
		return err == nil && info.Delivered.Stream == 2
	})
	if n := h.calls.Load(); n != 1 {
		t.Fatalf("a handler ran while the consumers were paused (%d calls)", n)
	}
	resume()
	resume()
	eventually(t, "the second event handled after resume", func() bool { return h.count() == 2 })
}

// TestSnapshotAndRestoreStreams: streams copied while the consumers are
// paused come back in a new data directory with every message, and each
// durable consumer resumes from where it stood: it gets exactly what it
// had not acknowledged, at once, and nothing it had.
func TestSnapshotAndRestoreStreams(t *testing.T) {
	ctx := context.Background()
	b := embeddedBus(t, t.TempDir())
	rec := &recorder{}
	sub := bus.Subscription{Consumer: "alpha", Stream: "demo", Concurrency: 1,
		Handlers: map[string]bus.Handler{typeCreated: rec.handle}}
	if _, err := b.Subscribe(ctx, sub); err != nil {
		t.Fatal(err)
	}
	var ids []string
	publish := func(n int) {
		for range n {
			ev := newEvent(t, ctx, typeCreated, "thing")
			if err := b.Publish(ctx, ev); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ev.ID())
		}
	}
	publish(10)
	eventually(t, "ten handled and acknowledged", func() bool {
		info, err := b.ConsumerInfo(ctx, "demo", "alpha")
		return err == nil && rec.count() == 10 && info.AckFloor.Stream == 10
	})
	resume, err := b.PauseConsumers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	publish(5)
	eventually(t, "the five delivered and waiting", func() bool {
		info, err := b.ConsumerInfo(ctx, "demo", "alpha")
		return err == nil && info.Delivered.Stream == 15
	})
	dir := t.TempDir()
	streams, err := b.SnapshotStreams(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	resume()
	i := slices.IndexFunc(streams, func(s bus.StreamBackup) bool { return s.Name == "DEMO" })
	if i < 0 {
		t.Fatalf("snapshots %+v: none of the demo stream's 15 messages", streams)
	}
	if c := streams[i].Consumers; len(c) != 1 || c[0].Name != "alpha" || c[0].AckFloor != 10 || c[0].AckPending != 5 {
		t.Fatalf("consumer positions %+v, want alpha at ack floor 10 with 5 pending", c)
	}

	restored := t.TempDir()
	got, err := bus.RestoreStreams(ctx, filepath.Join(restored, "nats"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(streams) {
		t.Fatalf("restored %d streams, want %d", len(got), len(streams))
	}
	if c := got[i].Consumers; got[i].Name != "DEMO" || len(c) != 1 || c[0].Delivered != 10 || c[0].AckFloor != 10 || c[0].AckPending != 0 {
		t.Fatalf("restored %s with consumers %+v, want alpha reset to its floor 10", got[i].Name, c)
	}
	// The ack wait is the default 30 s: the five must come sooner than
	// that, through the reset, not the redelivery timer.
	after := embeddedBus(t, restored)
	again := &recorder{}
	start := time.Now()
	if _, err := after.Subscribe(ctx, bus.Subscription{Consumer: "alpha", Stream: "demo", Concurrency: 1,
		Handlers: map[string]bus.Handler{typeCreated: again.handle}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the five unacknowledged events after the restore", func() bool { return again.count() >= 5 })
	if waited := time.Since(start); waited > 10*time.Second {
		t.Fatalf("the unacknowledged events came after %s: redelivered by timer, not reset", waited)
	}
	if !slices.Equal(again.ids(), ids[10:]) {
		t.Fatalf("after the restore the consumer got %v, want %v", again.ids(), ids[10:])
	}
	if n, err := after.StreamMessages(ctx, "demo"); err != nil || n != 15 {
		t.Fatalf("the restored stream holds %d messages (%v), want 15", n, err)
	}
}

package bus_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/bus/bustest"
)

// A handler waiting on one thing does not hold up events about other
// things: the handler of "blocked" waits until an event about another thing
// has been handled, which a consumer handling one event at a time never
// does. The other thing is one whose lane differs from blocked's (two
// things sharing a lane wait for each other by design).
func TestConsumerHandlesOtherSubjectsWhileOneWaits(t *testing.T) {
	ctx := context.Background()
	b := bustest.Embedded(t).Connect(t)
	const lanes = 8
	other := "other"
	for i := 0; bus.LaneOf(other, lanes) == bus.LaneOf("blocked", lanes); i++ {
		other = fmt.Sprint("other-", i)
	}
	otherDone := make(chan struct{})
	var once sync.Once
	released := make(chan bool, 1)
	if _, err := b.Subscribe(ctx, bus.Subscription{Consumer: "alpha", Stream: "demo", Concurrency: lanes,
		Handlers: map[string]bus.Handler{typeCreated: func(ctx context.Context, ev bus.Event) error {
			if ev.Subject() == other {
				once.Do(func() { close(otherDone) })
				return nil
			}
			select {
			case <-otherDone:
				released <- true
			case <-time.After(10 * time.Second): // a bound on the test, not a pause
				released <- false
			}
			return nil
		}}}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"blocked", other} {
		if err := b.Publish(ctx, newEvent(t, ctx, typeCreated, name)); err != nil {
			t.Fatal(err)
		}
	}
	if !<-released {
		t.Fatal("the event about other was not handled while the one about blocked waited")
	}
}

// Events about one thing are handled one at a time, in the order they were
// published, however many things are in flight.
func TestConsumerKeepsOrderPerSubject(t *testing.T) {
	ctx := context.Background()
	b := bustest.Embedded(t).Connect(t)
	var (
		mu       sync.Mutex
		seen     = map[string][]int{}
		inFlight = map[string]int{}
		overlap  []string
	)
	if _, err := b.Subscribe(ctx, bus.Subscription{Consumer: "alpha", Stream: "demo",
		Handlers: map[string]bus.Handler{typeCreated: func(ctx context.Context, ev bus.Event) error {
			var d struct{ I int }
			if err := ev.DataAs(&d); err != nil {
				return bus.Permanent(err)
			}
			mu.Lock()
			inFlight[ev.Subject()]++
			if inFlight[ev.Subject()] > 1 {
				overlap = append(overlap, ev.Subject())
			}
			mu.Unlock()
			defer func() {
				mu.Lock()
				inFlight[ev.Subject()]--
				seen[ev.Subject()] = append(seen[ev.Subject()], d.I)
				mu.Unlock()
			}()
			return nil
		}}}); err != nil {
		t.Fatal(err)
	}
	const things, each = 20, 15
	for i := range each {
		for th := range things {
			ev, err := bus.NewEvent(ctx, typeCreated, fmt.Sprint("thing-", th), map[string]int{"i": i}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Publish(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	eventually(t, "every event handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, s := range seen {
			n += len(s)
		}
		return n == things*each
	})
	mu.Lock()
	defer mu.Unlock()
	if len(overlap) > 0 {
		t.Fatalf("two events about one thing were handled at once: %v", overlap)
	}
	want := make([]int, each)
	for i := range want {
		want[i] = i
	}
	for th, got := range seen {
		if !slices.Equal(got, want) {
			t.Fatalf("%s handled in order %v, want %v", th, got, want)
		}
	}
}

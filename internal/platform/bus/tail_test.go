package bus_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/bus/bustest"
)

func TestTailSeesOnlyWhatComesAfter(t *testing.T) {
	bustest.Run(t, func(t *testing.T, env bustest.Env) {
		ctx := context.Background()
		b := env.Connect(t)
		if err := b.Publish(ctx, newEvent(t, ctx, typeCreated, "before")); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var seen []string
		stop, err := env.Connect(t).Tail(ctx, "demo", func(ev bus.Event) {
			mu.Lock()
			seen = append(seen, ev.ID())
			mu.Unlock()
		})
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		// Every type of the stream, in the order stored.
		var want []string
		for _, ev := range []bus.Event{newEvent(t, ctx, typeCreated, "a"), newEvent(t, ctx, typeDeleted, "b"), newEvent(t, ctx, typeCreated, "c")} {
			if err := b.Publish(ctx, ev); err != nil {
				t.Fatal(err)
			}
			want = append(want, ev.ID())
		}
		eventually(t, "the tail sees the three new events", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(seen) >= 3
		})
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(seen, want) {
			t.Fatalf("tail saw %v, want %v (and not the event stored before it started)", seen, want)
		}
	})
}

package bus_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/bus/bustest"
)

// metricValue sums the samples of a family whose labels include want
// (counter, gauge, or a histogram's count).
func metricValue(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) (float64, bool) {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found, sum := false, 0.0
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metrics
				}
			}
			found = true
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				sum += m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				sum += m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum, found
}

// TestMetrics: every subscription is measured by the bus itself: published
// and consumed counts per outcome, handler durations, consumer lag.
func TestMetrics(t *testing.T) {
	ctx := context.Background()
	ns, err := bus.StartEmbedded(filepath.Join(t.TempDir(), "nats"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	reg := prometheus.NewRegistry()
	b, err := bus.Connect(ctx, bus.Config{Server: ns, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)

	// Two events wait in the stream before anyone consumes: lag 2.
	for _, name := range []string{"ok", "poison"} {
		if err := b.Publish(ctx, newEvent(t, ctx, typeCreated, name)); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := metricValue(t, reg, "openhouse_events_published_total", map[string]string{"service": "demo", "type": typeCreated}); v != 2 {
		t.Fatalf("published = %v, want 2", v)
	}
	var block atomic.Bool
	block.Store(true)
	release := make(chan struct{})
	var fails atomic.Int32
	sub := fastRetries(bus.Subscription{Consumer: "alpha", Stream: "demo", MaxAttempts: 3,
		Handlers: map[string]bus.Handler{typeCreated: func(ctx context.Context, ev bus.Event) error {
			if block.Load() {
				<-release
				block.Store(false)
			}
			if ev.Subject() == "poison" {
				fails.Add(1)
				return errors.New("cannot handle this one")
			}
			return nil
		}}})
	if _, err := b.Subscribe(ctx, sub); err != nil {
		t.Fatal(err)
	}
	// The first delivery is blocked in the handler; the second waits.
	eventually(t, "lag of one undelivered event", func() bool {
		v, ok := metricValue(t, reg, "openhouse_consumer_pending", map[string]string{"consumer": "alpha", "stream": "demo"})
		return ok && v <= 1
	})
	close(release)
	consumed := func(outcome string) float64 {
		v, _ := metricValue(t, reg, "openhouse_events_consumed_total", map[string]string{"consumer": "alpha", "type": typeCreated, "outcome": outcome})
		return v
	}
	eventually(t, "the poison event to be dead-lettered", func() bool { return consumed(bus.OutcomeDeadLetter) == 1 })
	if ok, retry := consumed(bus.OutcomeOK), consumed(bus.OutcomeRetry); ok != 1 || retry != 2 {
		t.Fatalf("consumed ok = %v, retry = %v; want 1 and 2", ok, retry)
	}
	if v, _ := metricValue(t, reg, "openhouse_event_handler_duration_seconds", map[string]string{"consumer": "alpha", "type": typeCreated}); v != 4 {
		t.Fatalf("handler durations observed = %v, want 4 (1 ok + 3 attempts)", v)
	}
	if v, ok := metricValue(t, reg, "openhouse_consumer_pending", map[string]string{"consumer": "alpha", "stream": "demo"}); !ok || v != 0 {
		t.Fatalf("consumer pending = %v (%v), want 0", v, ok)
	}
}

// TestMetricsWithoutRegistry: a bus without a registerer still works.
func TestMetricsWithoutRegistry(t *testing.T) {
	ctx := context.Background()
	b := bustest.Embedded(t).Connect(t)
	rec := &recorder{}
	if _, err := b.Subscribe(ctx, bus.Subscription{Consumer: "alpha", Stream: "demo",
		Handlers: map[string]bus.Handler{typeCreated: rec.handle}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, newEvent(t, ctx, typeCreated, "x")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "delivery", func() bool { return rec.count() == 1 })
}

// TestMetricsTwoBusesOneRegistry: the lag of every Bus registered on one
// registry is reported (a process may hold several connections).
func TestMetricsTwoBusesOneRegistry(t *testing.T) {
	ctx := context.Background()
	ns, err := bus.StartEmbedded(filepath.Join(t.TempDir(), "nats"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	reg := prometheus.NewRegistry()
	for _, consumer := range []string{"alpha", "beta"} {
		b, err := bus.Connect(ctx, bus.Config{Server: ns, Metrics: reg})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		rec := &recorder{}
		if _, err := b.Subscribe(ctx, bus.Subscription{Consumer: consumer, Stream: "demo",
			Handlers: map[string]bus.Handler{typeCreated: rec.handle}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, consumer := range []string{"alpha", "beta"} {
		if _, ok := metricValue(t, reg, "openhouse_consumer_pending", map[string]string{"consumer": consumer, "stream": "demo"}); !ok {
			t.Errorf("no lag reported for %s", consumer)
		}
	}
}

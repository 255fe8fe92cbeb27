package outbox_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/bus/bustest"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// BenchmarkOutboxHop measures one hop as services see it: a transaction
// commits a state row's event into the outbox, the relay (woken by the
// commit) publishes it to embedded JetStream, and a durable consumer applies
// it through its inbox in another service's database. It reports the
// latency percentiles of the whole hop.
func BenchmarkOutboxHop(b *testing.B) {
	ctx := context.Background()
	producer := openDB(b, storetest.OpenSQLite, "producer")
	consumer := openDB(b, storetest.OpenSQLite, "consumer")
	env := bustest.Embedded(b)
	bs := env.Connect(b)
	handled := make(chan time.Time, 1)
	h := outbox.Inbox(consumer, "bench", time.Now, func(ctx context.Context, tx *sql.Tx, ev bus.Event) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO effects (event_id) VALUES ($1)`, ev.ID())
		return err
	})
	if _, err := bs.Subscribe(ctx, bus.Subscription{Consumer: "bench", Stream: "demo",
		Handlers: map[string]bus.Handler{typeHappened: func(ctx context.Context, ev bus.Event) error {
			err := h(ctx, ev)
			handled <- time.Now()
			return err
		}}}); err != nil {
		b.Fatal(err)
	}
	relay := outbox.NewRelay(producer, bs, outbox.RelayConfig{})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = relay.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev, err := bus.NewEvent(ctx, typeHappened, "x", map[string]int{"i": i}, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := producer.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO effects (event_id) VALUES ($1)`, "state-"+ev.ID()); err != nil {
				return err
			}
			return outbox.Add(ctx, tx, ev)
		}); err != nil {
			b.Fatal(err)
		}
		end := <-handled
		lat = append(lat, end.Sub(start))
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// BenchmarkPublishThroughOutbox measures throughput: events committed in
// their own transactions and published by the relay, per event.
func BenchmarkPublishThroughOutbox(b *testing.B) {
	ctx := context.Background()
	db := openDB(b, storetest.OpenSQLite, "producer")
	bs := bustest.Embedded(b).Connect(b)
	relay := outbox.NewRelay(db, bs, outbox.RelayConfig{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev, err := bus.NewEvent(ctx, typeHappened, "x", map[string]int{"i": i}, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *sql.Tx) error { return outbox.Add(ctx, tx, ev) }); err != nil {
			b.Fatal(err)
		}
		if i%100 == 99 {
			if _, err := relay.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := relay.Flush(ctx); err != nil {
		b.Fatal(err)
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds())
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

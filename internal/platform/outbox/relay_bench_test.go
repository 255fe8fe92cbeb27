package outbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/bus/bustest"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// BenchmarkRelayBatch measures the relay's throughput when it has work
// waiting: each iteration commits a full batch (100 events, one
// transaction) while the relay is not running, then times one Flush, which
// reads the batch, publishes every event to embedded JetStream (each
// acknowledged, stored to the file store) and marks the rows published.
// Each event is about a thing of its own, as the events of many bookings
// waiting together are. ns/op is per batch; events/s is the relay's rate.
func BenchmarkRelayBatch(b *testing.B) {
	const batch = 100
	ctx := context.Background()
	db := openDB(b, storetest.OpenSQLite, "producer")
	bs := bustest.Embedded(b).Connect(b)
	relay := outbox.NewRelay(db, bs, outbox.RelayConfig{Batch: batch})
	evs := make([]bus.Event, batch)
	var flushing time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		for j := range evs {
			ev, err := bus.NewEvent(ctx, typeHappened, fmt.Sprint("thing-", j), map[string]int{"i": i, "j": j}, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			evs[j] = ev
		}
		if err := db.InTxNoHooks(ctx, func(tx *sql.Tx) error { return outbox.AddAll(ctx, tx, evs) }); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		n, err := relay.Flush(ctx)
		flushing += time.Since(start)
		if err != nil || n != batch {
			b.Fatalf("flushed %d of %d: %v", n, batch, err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/flushing.Seconds(), "events/s")
}

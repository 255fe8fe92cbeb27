package outbox_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

type discardPublisher struct{}

func (discardPublisher) PublishEncoded(context.Context, string, string, []byte) (bus.Ack, error) {
	return stored{}, nil
}

// stored is the acknowledgement of an event stored.
type stored struct{}

func (stored) Wait(context.Context) error { return nil }

// gauges reads the two outbox gauges of service from reg.
func gauges(t *testing.T, reg *prometheus.Registry, service string) (backlog, oldest float64, found int) {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() != "service" || l.GetValue() != service {
					continue
				}
				switch f.GetName() {
				case "openhouse_outbox_backlog":
					backlog, found = m.GetGauge().GetValue(), found+1
				case "openhouse_outbox_oldest_pending_seconds":
					oldest, found = m.GetGauge().GetValue(), found+1
				}
			}
		}
	}
	return backlog, oldest, found
}

// TestRelayMetrics: the backlog gauges are read on scrape, per service,
// and fall to zero once the relay has published.
func TestRelayMetrics(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		reg := prometheus.NewRegistry()
		db := openDB(t, open, "svc")
		other := openDB(t, open, "other")
		relay := outbox.NewRelay(db, discardPublisher{}, outbox.RelayConfig{Service: "tour", Metrics: reg})
		outbox.NewRelay(other, discardPublisher{}, outbox.RelayConfig{Service: "cart", Metrics: reg})

		for _, age := range []time.Duration{2 * time.Minute, time.Second} {
			ev, _ := bus.NewEvent(ctx, typeHappened, "x", nil, time.Now().Add(-age))
			if err := db.InTx(ctx, func(tx *sql.Tx) error { return outbox.Add(ctx, tx, ev) }); err != nil {
				t.Fatal(err)
			}
		}
		backlog, oldest, found := gauges(t, reg, "tour")
		if found != 2 || backlog != 2 || oldest < 120 || oldest > 180 {
			t.Fatalf("tour backlog = %v, oldest = %vs (%d gauges); want 2 and about 120s", backlog, oldest, found)
		}
		if backlog, oldest, found := gauges(t, reg, "cart"); found != 2 || backlog != 0 || oldest != 0 {
			t.Fatalf("cart backlog = %v, oldest = %v (%d gauges); want 0, 0", backlog, oldest, found)
		}
		if _, err := relay.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if backlog, oldest, _ := gauges(t, reg, "tour"); backlog != 0 || oldest != 0 {
			t.Fatalf("after flush: backlog = %v, oldest = %v; want 0, 0", backlog, oldest)
		}
	})
}

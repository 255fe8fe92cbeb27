package bench

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

// Floor is the physical floor of one event hop on the machine the bench
// runs on, measured in the same run as the load so that both see the same
// machine: a bare JetStream publish, acknowledged (stored to the file
// store), then received by a durable pull consumer, one message at a time,
// on the embedded server openhouse itself runs, over an in-process
// connection. No database, no outbox, no HTTP: what a hop could cost if it
// did nothing else.
type Floor struct {
	What    string  `json:"what"`
	Samples int     `json:"samples"`
	P50MS   float64 `json:"p50_ms"`
	P99MS   float64 `json:"p99_ms"`
	MaxMS   float64 `json:"max_ms"`
}

const floorWhat = "JetStream publish (acked, file store) -> durable pull consumer receives; embedded server, in-process connection, sequential"

// MeasureFloor runs n sequential round trips on a fresh embedded JetStream
// server in a temporary directory, after a short warm-up, and removes it.
func MeasureFloor(ctx context.Context, n int) (Floor, error) {
	dir, err := os.MkdirTemp("", "openhouse-bench-floor-")
	if err != nil {
		return Floor{}, err
	}
	defer os.RemoveAll(dir)
	ns, err := bus.StartEmbedded(dir)
	if err != nil {
		return Floor{}, err
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	nc, err := nats.Connect("", nats.InProcessServer(ns))
	if err != nil {
		return Floor{}, fmt.Errorf("floor: connect: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return Floor{}, err
	}
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "FLOOR", Subjects: []string{"floor.>"}, Storage: jetstream.FileStorage})
	if err != nil {
		return Floor{}, fmt.Errorf("floor: stream: %w", err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "floor", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		return Floor{}, fmt.Errorf("floor: consumer: %w", err)
	}
	got := make(chan time.Time, 1)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		_ = m.Ack()
		got <- time.Now()
	})
	if err != nil {
		return Floor{}, fmt.Errorf("floor: consume: %w", err)
	}
	defer cc.Stop()

	const warmup = 100
	rec := newRecorder()
	for i := range warmup + n {
		start := time.Now()
		if _, err := js.Publish(ctx, "floor.hop", []byte(`{"i":`+fmt.Sprint(i)+`}`)); err != nil {
			return Floor{}, fmt.Errorf("floor: publish: %w", err)
		}
		select {
		case end := <-got:
			if i >= warmup {
				rec.record(end.Sub(start), 200, true)
			}
		case <-ctx.Done():
			return Floor{}, ctx.Err()
		case <-time.After(10 * time.Second): // a bound, not a pause
			return Floor{}, fmt.Errorf("floor: message %d not received within 10s", i)
		}
	}
	s := rec.stats(0)
	return Floor{What: floorWhat, Samples: n, P50MS: s.P50MS, P99MS: s.P99MS, MaxMS: s.MaxMS}, nil
}

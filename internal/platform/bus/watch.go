package bus

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Watch delivers to h every event of the given types in a service's stream,
// from the first one ever stored and then live, to this process alone: an
// ephemeral ordered consumer, unlike Subscribe's shared durable one. It is
// for state every process must hold in memory (a realtor index, say) and
// that is rebuilt from the stream at start. It returns once the consumer
// exists; the history reaches h soon after. h must be fast and must not
// fail: there are no retries. Stop with the returned function.
func (b *Bus) Watch(ctx context.Context, service string, types []string, h func(Event)) (stop func(), err error) {
	stop, _, err = b.watch(ctx, service, types, time.Time{}, h)
	return stop, err
}

// WatchSince is Watch from the first event stored at or after since (the
// zero time: from the first event ever), and it returns only once every
// such event stored before it was called has been handed to h, or fails
// when ctx ends first. It is for state a process must have complete before
// it acts on it: every process learns the token revocations still in force
// before it serves a request. since is compared with the time the NATS
// server stored each event, by the server's clock: pass a wall-clock
// instant with a margin for the clocks' difference. Events older than
// since are skipped by the server, so a replay costs what the window holds,
// not the stream's whole history.
func (b *Bus) WatchSince(ctx context.Context, service string, types []string, since time.Time, h func(Event)) (stop func(), err error) {
	stop, caughtUp, err := b.watch(ctx, service, types, since, h)
	if err != nil {
		return nil, err
	}
	select {
	case <-caughtUp:
		return stop, nil
	case <-ctx.Done():
		stop()
		return nil, fmt.Errorf("bus: watch %s: replay not done: %w", service, ctx.Err())
	}
}

// watch starts the ordered consumer. caughtUp is closed once h has been
// handed every matching event that was stored when the consumer was
// created: at once when there were none, else when a delivered event's
// metadata says none is pending after it.
func (b *Bus) watch(ctx context.Context, service string, types []string, since time.Time, h func(Event)) (stop func(), caughtUp <-chan struct{}, err error) {
	if err := b.EnsureStream(ctx, service); err != nil {
		return nil, nil, err
	}
	filters := make([]string, 0, len(types))
	for _, typ := range types {
		svc, err := ServiceOf(typ)
		if err != nil {
			return nil, nil, err
		}
		if svc != service {
			return nil, nil, fmt.Errorf("bus: %s is published by %s, not %s", typ, svc, service)
		}
		filters = append(filters, b.subjectOf(typ))
	}
	sort.Strings(filters)
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: filters, DeliverPolicy: jetstream.DeliverAllPolicy}
	if !since.IsZero() {
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	}
	cons, err := b.js.OrderedConsumer(ctx, b.streamOf(service), cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("bus: watch %s: %w", service, err)
	}
	done := make(chan struct{})
	var once sync.Once
	markDone := func() { once.Do(func() { close(done) }) }
	if info := cons.CachedInfo(); info != nil && info.NumPending == 0 {
		markDone()
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		if ev, err := Decode(msg.Data()); err != nil {
			b.log.Warn("watch: undecodable event skipped", "subject", msg.Subject(), "err", err)
		} else {
			h(ev)
		}
		if md, err := msg.Metadata(); err == nil && md.NumPending == 0 {
			markDone()
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("bus: watch %s: %w", service, err)
	}
	return func() {
		cc.Stop()
		<-cc.Closed()
	}, done, nil
}

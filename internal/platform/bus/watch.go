package bus

import (
	"context"
	"fmt"
	"sort"

	"github.com/nats-io/nats.go/jetstream"
)

// Watch delivers to h every event of the given types in a service's stream,
// from the first one ever stored and then live, to this process alone: an
// ephemeral ordered consumer, unlike Subscribe's shared durable one. It is
// for state every process must hold in memory (which users are suspended,
// say) and that is rebuilt from the stream at start. h must be fast and
// must not fail: there are no retries. Stop with the returned function.
func (b *Bus) Watch(ctx context.Context, service string, types []string, h func(Event)) (stop func(), err error) {
	if err := b.EnsureStream(ctx, service); err != nil {
		return nil, err
	}
	filters := make([]string, 0, len(types))
	for _, typ := range types {
		svc, err := ServiceOf(typ)
		if err != nil {
			return nil, err
		}
		if svc != service {
			return nil, fmt.Errorf("bus: %s is published by %s, not %s", typ, svc, service)
		}
		filters = append(filters, b.subjectOf(typ))
	}
	sort.Strings(filters)
	cons, err := b.js.OrderedConsumer(ctx, b.streamOf(service), jetstream.OrderedConsumerConfig{
		FilterSubjects: filters,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("bus: watch %s: %w", service, err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		ev, err := Decode(msg.Data())
		if err != nil {
			b.log.Warn("watch: undecodable event skipped", "subject", msg.Subject(), "err", err)
			return
		}
		h(ev)
	})
	if err != nil {
		return nil, fmt.Errorf("bus: watch %s: %w", service, err)
	}
	return func() {
		cc.Stop()
		<-cc.Closed()
	}, nil
}

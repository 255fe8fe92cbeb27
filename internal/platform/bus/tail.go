package bus

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Tail delivers to h every event a service publishes from now on, to this
// process alone: an ephemeral ordered consumer over the whole stream that
// starts after the last stored message. It is for showing news as it
// happens (the web app's live updates), where history is read from the
// services' APIs instead. Events stored before Tail returns are not
// delivered; every one stored after is, in stream order. h runs on one
// goroutine per Tail, must be fast and must not fail: there are no
// retries. Stop with the returned function, which waits for h to return.
func (b *Bus) Tail(ctx context.Context, service string, h func(Event)) (stop func(), err error) {
	if err := b.EnsureStream(ctx, service); err != nil {
		return nil, err
	}
	cons, err := b.js.OrderedConsumer(ctx, b.streamOf(service), jetstream.OrderedConsumerConfig{
		FilterSubjects: b.streamSubjects(service),
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("bus: tail %s: %w", service, err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		ev, err := Decode(msg.Data())
		if err != nil {
			b.log.Warn("tail: undecodable event skipped", "subject", msg.Subject(), "err", err)
			return
		}
		h(ev)
	})
	if err != nil {
		return nil, fmt.Errorf("bus: tail %s: %w", service, err)
	}
	return func() {
		cc.Stop()
		<-cc.Closed()
	}, nil
}

package bus

import (
	"context"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// PublishRaw puts data on a subject of the bus's namespace as it is, the
// way a client with bare NATS access could: tests use it to forge events.
func (b *Bus) PublishRaw(ctx context.Context, subject string, data []byte) error {
	msg := &nats.Msg{Subject: b.prefix + subject, Data: data, Header: nats.Header{}}
	msg.Header.Set("Content-Type", "application/cloudevents+json")
	_, err := b.js.PublishMsg(ctx, msg)
	return err
}

// LaneOf is the lane an event about subject takes among a consumer's n.
func LaneOf(subject string, n int) int { return laneOf(subject, n) }

// ConsumerInfo is where a durable consumer of a service's stream stands.
func (b *Bus) ConsumerInfo(ctx context.Context, service, consumer string) (*jetstream.ConsumerInfo, error) {
	c, err := b.js.Consumer(ctx, b.streamOf(service), consumer)
	if err != nil {
		return nil, err
	}
	return c.Info(ctx)
}

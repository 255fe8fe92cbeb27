package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Handler applies one event. It returns nil once the event's effect is
// durable; an error makes the bus deliver the event again later (with
// backoff), until the subscription's MaxAttempts, after which the event goes
// to the dead-letter stream. Handlers must be idempotent: delivery is at
// least once (outbox.Inbox makes that easy).
type Handler func(ctx context.Context, ev Event) error

// Permanent marks an error that no retry can cure (a malformed payload, say):
// the event goes straight to the dead-letter stream.
func Permanent(err error) error { return permanentError{err} }

type permanentError struct{ error }

func (p permanentError) Unwrap() error { return p.error }

// Subscription is one durable consumer: the events of one publishing service
// that one consuming service handles.
type Subscription struct {
	// Consumer is the consuming service; it is also the durable name, so it
	// must never be renamed.
	Consumer string
	// Stream is the publishing service.
	Stream string
	// Handlers maps each event type to receive to its handler. Only these
	// types are delivered (they become the consumer's subject filter).
	Handlers map[string]Handler
	// MaxAttempts is how many deliveries a failing event gets before it is
	// dead-lettered. Default 12: with the default backoff that is about
	// 2.5 minutes of retrying, so an outage of a dependency (a database
	// restarting, a NATS node failing over) delays events instead of
	// dead-lettering them; with 5 (3 s of retrying) the chaos run
	// (internal/cluster) dead-lettered every event in flight during a
	// PostgreSQL restart. Poison messages should return Permanent errors,
	// which skip the retries.
	MaxAttempts int
	// Backoff gives the delay before the next delivery after a failed
	// attempt (1-based). Default: 100ms doubling, at most 30s.
	Backoff func(attempt int) time.Duration
	// HandlerTimeout bounds one attempt. Default 25s.
	HandlerTimeout time.Duration
	// Concurrency is how many events this consumer handles at once, in
	// this process (see lanes.go): events with the same CloudEvents
	// subject are always handled one at a time, in stream order. 1 handles
	// every event in stream order. Default 8.
	Concurrency int
}

// DefaultBackoff doubles from 100ms up to 30s.
func DefaultBackoff(attempt int) time.Duration {
	d := 100 * time.Millisecond
	for i := 1; i < attempt && d < 30*time.Second; i++ {
		d *= 2
	}
	return min(d, 30*time.Second)
}

func (s *Subscription) setDefaults() {
	if s.MaxAttempts == 0 {
		s.MaxAttempts = 12
	}
	if s.Backoff == nil {
		s.Backoff = DefaultBackoff
	}
	if s.HandlerTimeout == 0 {
		s.HandlerTimeout = 25 * time.Second
	}
	if s.Concurrency <= 0 {
		s.Concurrency = 8
	}
}

func (s Subscription) validate() error {
	if !namePattern.MatchString(s.Consumer) || !namePattern.MatchString(s.Stream) {
		return fmt.Errorf("bus: subscription %q on %q: names must be lower-case words", s.Consumer, s.Stream)
	}
	if len(s.Handlers) == 0 {
		return fmt.Errorf("bus: subscription %s on %s has no handlers", s.Consumer, s.Stream)
	}
	for typ, h := range s.Handlers {
		svc, err := ServiceOf(typ)
		if err != nil {
			return err
		}
		if svc != s.Stream {
			return fmt.Errorf("bus: %s is published by %s, not %s", typ, svc, s.Stream)
		}
		if h == nil {
			return fmt.Errorf("bus: nil handler for %s", typ)
		}
	}
	return nil
}

// Consumer is a running subscription.
type Consumer struct {
	sub      Subscription
	bus      *Bus
	handler  Handler
	ctx      context.Context
	cancel   context.CancelFunc
	contexts []jetstream.ConsumeContext
	main     jetstream.Consumer // the durable on the service's stream, for lag
	lanes    *lanes             // handlers in flight, by subject
	stopOnce sync.Once
}

// Subscribe starts a durable consumer for sub and a second one on the replay
// stream (so that replayed dead letters reach the same handlers). Events
// about one thing (the same CloudEvents subject) are handled one at a time,
// in stream order; up to sub.Concurrency things at once. Several processes
// subscribing with the same names share the events between them.
func (b *Bus) Subscribe(ctx context.Context, sub Subscription) (*Consumer, error) {
	sub.setDefaults()
	if err := sub.validate(); err != nil {
		return nil, err
	}
	if err := b.EnsureStream(ctx, sub.Stream); err != nil {
		return nil, err
	}
	filters := make([]string, 0, len(sub.Handlers))
	for typ := range sub.Handlers {
		filters = append(filters, b.subjectOf(typ))
	}
	sort.Strings(filters)

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c := &Consumer{sub: sub, bus: b, ctx: runCtx, cancel: cancel, lanes: newLanes(sub.Concurrency)}
	c.handler = dispatch(sub.Handlers)

	type target struct {
		stream, durable string
		filters         []string
	}
	for _, t := range []target{
		{b.streamOf(sub.Stream), sub.Consumer, filters},
		{b.replayStream(), sub.Consumer + "_" + sub.Stream, []string{b.replaySubject(sub.Consumer, sub.Stream)}},
	} {
		cons, err := b.js.CreateOrUpdateConsumer(ctx, t.stream, jetstream.ConsumerConfig{
			Durable:        t.durable,
			FilterSubjects: t.filters,
			AckPolicy:      jetstream.AckExplicitPolicy,
			AckWait:        sub.HandlerTimeout + 5*time.Second,
			MaxDeliver:     -1, // the bus dead-letters after MaxAttempts itself
			MaxAckPending:  1000,
			DeliverPolicy:  jetstream.DeliverAllPolicy,
		})
		if err != nil {
			c.Stop()
			return nil, fmt.Errorf("bus: consumer %s on %s: %w", t.durable, t.stream, err)
		}
		cc, err := cons.Consume(c.receive, jetstream.PullMaxMessages(64))
		if err != nil {
			c.Stop()
			return nil, fmt.Errorf("bus: consume %s on %s: %w", t.durable, t.stream, err)
		}
		c.contexts = append(c.contexts, cc)
		if c.main == nil {
			c.main = cons
		}
	}
	b.mu.Lock()
	b.consumers = append(b.consumers, c)
	b.mu.Unlock()
	return c, nil
}

var errNoHandler = errors.New("no handler for this event type")

func dispatch(handlers map[string]Handler) Handler {
	return func(ctx context.Context, ev Event) error {
		h, ok := handlers[ev.Type()]
		if !ok {
			return Permanent(fmt.Errorf("%w: %s", errNoHandler, ev.Type()))
		}
		return h(ctx, ev)
	}
}

// receive takes one delivery from the NATS client: it decodes the event
// and queues it on the lane of its subject.
func (c *Consumer) receive(msg jetstream.Msg) {
	ev, err := Decode(msg.Data())
	key := ""
	if err == nil {
		key = ev.Subject()
	}
	queued := c.lanes.run(key, func(stopping bool) {
		if stopping {
			_ = msg.Nak() // not started: another instance, or the next start, takes it
			return
		}
		c.handle(msg, ev, err)
	})
	if !queued {
		_ = msg.Nak()
	}
}

// handle runs the handler on a decoded delivery (decodeErr: it could not be
// decoded), then acks, retries later, or dead-letters.
func (c *Consumer) handle(msg jetstream.Msg, ev Event, decodeErr error) {
	c.bus.handling.RLock() // waits while the consumers are paused
	defer c.bus.handling.RUnlock()
	meta, err := msg.Metadata()
	if err != nil {
		c.bus.log.Error("event without metadata", "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	}
	attempt := int(meta.NumDelivered)
	// The delivery's logger is built only when there is something to log:
	// slog's JSON handler encodes the attributes of With at once, a cost
	// worth skipping for the many events that log nothing
	// (docs/performance.md).
	logAttrs := []any{"consumer", c.sub.Consumer, "stream", meta.Stream, "seq", meta.Sequence.Stream, "attempt", attempt}
	log := func() *slog.Logger { return c.bus.log.With(logAttrs...) }

	typ := "undecodable"
	logCtx := c.ctx // the consumer span's context once there is one: logs join the trace
	err = decodeErr
	if err == nil {
		if err = c.bus.authenticate(ev, msg); err != nil {
			err = Permanent(err)
		}
	}
	if err == nil {
		typ = ev.Type()
		ctx, span := c.bus.tracer.Start(ContextOf(c.ctx, ev), c.sub.Consumer+" process "+typ,
			trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(
				attribute.String("messaging.system", "nats"),
				attribute.String("messaging.operation.type", "process"),
				attribute.String("messaging.destination.name", meta.Stream),
				attribute.String("messaging.consumer.group.name", c.sub.Consumer),
				attribute.String("messaging.message.id", ev.ID()),
				attribute.Int("messaging.delivery.attempt", attempt),
			))
		logCtx = ctx
		ctx, cancel := context.WithTimeout(ctx, c.sub.HandlerTimeout)
		start := time.Now()
		err = c.safeHandle(ctx, ev)
		c.bus.metrics.duration.WithLabelValues(c.sub.Consumer, typ).Observe(time.Since(start).Seconds())
		cancel()
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "handler failed")
		}
		span.End()
		logAttrs = append(logAttrs, "event_id", ev.ID(), "type", typ)
	} else if !errors.As(err, new(permanentError)) {
		err = Permanent(err)
	}
	if err == nil {
		c.count(typ, OutcomeOK)
		if ackErr := msg.Ack(); ackErr != nil {
			log().WarnContext(logCtx, "ack failed; the event will be redelivered", "err", ackErr)
		}
		return
	}
	var perm permanentError
	if errors.As(err, &perm) || attempt >= c.sub.MaxAttempts {
		c.deadLetter(logCtx, msg, meta, typ, attempt, err, log())
		return
	}
	delay := c.sub.Backoff(attempt)
	log().WarnContext(logCtx, "event handler failed; retrying", "err", err, "retry_in", delay)
	c.count(typ, OutcomeRetry)
	_ = msg.NakWithDelay(delay)
}

// count records the outcome of one delivery.
func (c *Consumer) count(typ, outcome string) {
	c.bus.metrics.consumed.WithLabelValues(c.sub.Consumer, typ, outcome).Inc()
}

// safeHandle turns a panicking handler into a failed attempt.
func (c *Consumer) safeHandle(ctx context.Context, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panic: %v", p)
		}
	}()
	return c.handler(ctx, ev)
}

// deadLetter copies the message to the dead-letter stream, then terminates
// it. If the process dies in between, the redelivery dead-letters it again
// and the Nats-Msg-Id keeps one copy.
func (c *Consumer) deadLetter(logCtx context.Context, msg jetstream.Msg, meta *jetstream.MsgMetadata, typ string, attempt int, cause error, log *slog.Logger) {
	dl := &nats.Msg{
		Subject: c.bus.deadLetterSubject(c.sub.Consumer, c.sub.Stream),
		Data:    msg.Data(),
		Header:  nats.Header{},
	}
	dl.Header.Set(hdrConsumer, c.sub.Consumer)
	dl.Header.Set(hdrStream, c.sub.Stream)
	dl.Header.Set(hdrSubject, c.bus.originOf(msg))
	dl.Header.Set(hdrAttempts, strconv.Itoa(attempt))
	dl.Header.Set(hdrError, truncate(cause.Error(), 1024))
	id := fmt.Sprintf("%s:%s:%d", c.sub.Consumer, meta.Stream, meta.Sequence.Stream)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.bus.js.PublishMsg(ctx, dl, jetstream.WithMsgID(id)); err != nil {
		log.ErrorContext(logCtx, "dead-letter publish failed; will retry", "err", err)
		c.count(typ, OutcomeRetry)
		_ = msg.NakWithDelay(c.sub.Backoff(attempt))
		return
	}
	log.ErrorContext(logCtx, "event dead-lettered", "err", cause)
	c.count(typ, OutcomeDeadLetter)
	_ = msg.Term()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Stop stops receiving and waits for handlers in flight to finish; events
// received but not yet started are handed back (nak) for redelivery.
func (c *Consumer) Stop() {
	c.stopOnce.Do(func() {
		for _, cc := range c.contexts {
			cc.Stop()
		}
		for _, cc := range c.contexts {
			<-cc.Closed()
		}
		c.lanes.close()
		c.cancel()
	})
}

// Package bus carries events between services: CloudEvents 1.0 envelopes on
// NATS JetStream, one stream per publishing service, one durable consumer per
// (consuming service, stream), bounded retries, a dead-letter stream and
// replay. It knows nothing of what the events mean.
package bus

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel/propagation"
)

// Event is a CloudEvents 1.0 envelope: id, source, type, subject, time and
// JSON data, plus the W3C trace context as the traceparent and tracestate
// extension attributes.
type Event = event.Event

// typePattern is the shape of every event type: openhouse.<service>.<what>.v<N>,
// e.g. openhouse.tour.created.v1. The service part names the stream.
var typePattern = regexp.MustCompile(`^openhouse\.([a-z][a-z0-9]*)\.([a-z][a-z0-9_]*\.)*[a-z][a-z0-9_]*\.v[0-9]+$`)

// Source is the CloudEvents source of events published by a service.
func Source(service string) string { return "/openhouse/" + service }

// NewEvent builds an envelope with a fresh id for data, published by the
// service named in typ. subject is the id of the thing the event is about.
// The trace context of ctx, if any, travels with the event.
func NewEvent(ctx context.Context, typ, subject string, data any, now time.Time) (Event, error) {
	service, err := ServiceOf(typ)
	if err != nil {
		return Event{}, err
	}
	ev := event.New()
	ev.SetID(uuid.NewString())
	ev.SetSource(Source(service))
	ev.SetType(typ)
	ev.SetSubject(subject)
	ev.SetTime(now.UTC())
	if err := ev.SetData(event.ApplicationJSON, data); err != nil {
		return Event{}, fmt.Errorf("event %s data: %w", typ, err)
	}
	propagation.TraceContext{}.Inject(ctx, traceCarrier{&ev})
	if err := ev.Validate(); err != nil {
		return Event{}, fmt.Errorf("event %s: %w", typ, err)
	}
	return ev, nil
}

// ServiceOf returns the publishing service named by an event type.
func ServiceOf(typ string) (string, error) {
	m := typePattern.FindStringSubmatch(typ)
	if m == nil {
		return "", fmt.Errorf("event type %q is not of the form openhouse.<service>.<what>.v<N>", typ)
	}
	return m[1], nil
}

// Encode is the wire form of an event: CloudEvents structured JSON. It
// calls the envelope's own marshaller: json.Marshal would do the same and
// then parse the result again to check and compact it, which doubled the
// cost (BenchmarkEventCodec).
func Encode(ev Event) ([]byte, error) { return ev.MarshalJSON() }

// Decode parses and validates the wire form of an event. It calls the
// envelope's own parser: json.Unmarshal would scan the input twice before
// handing the same bytes to it (once to validate it, once to find the
// value's end), four fifths of the cost (BenchmarkEventCodec).
func Decode(b []byte) (Event, error) {
	var ev Event
	if err := ev.UnmarshalJSON(b); err != nil {
		return Event{}, fmt.Errorf("decode event: %w", err)
	}
	if err := ev.Validate(); err != nil {
		return Event{}, fmt.Errorf("decode event: %w", err)
	}
	if _, err := ServiceOf(ev.Type()); err != nil {
		return Event{}, fmt.Errorf("decode event: %w", err)
	}
	return ev, nil
}

// DataOf is ev's JSON data as a T. A payload that does not fit T fails
// the same way on every delivery, so the error is Permanent (dead-lettered
// at once, not retried); it names the event's type and id.
func DataOf[T any](ev Event) (T, error) {
	var v T
	if err := ev.DataAs(&v); err != nil {
		return v, Permanent(fmt.Errorf("%s %s: %w", ev.Type(), ev.ID(), err))
	}
	return v, nil
}

// ContextOf returns ctx carrying the trace context that travelled with ev.
func ContextOf(ctx context.Context, ev Event) context.Context {
	return propagation.TraceContext{}.Extract(ctx, traceCarrier{&ev})
}

// traceCarrier stores W3C trace headers as CloudEvents extension attributes
// (the CloudEvents distributed tracing extension).
type traceCarrier struct{ ev *Event }

func (c traceCarrier) Get(key string) string {
	v, ok := c.ev.Extensions()[strings.ToLower(key)]
	if !ok {
		return ""
	}
	s, _ := v.(string)
	return s
}

func (c traceCarrier) Set(key, value string) { c.ev.SetExtension(strings.ToLower(key), value) }

func (c traceCarrier) Keys() []string {
	keys := make([]string, 0, 2)
	for k := range c.ev.Extensions() {
		keys = append(keys, k)
	}
	return keys
}

// WithTraceContext returns a copy of ev carrying the trace context of ctx
// instead of the one it had; ev itself is unchanged. With no span in ctx,
// the copy keeps ev's trace context.
func WithTraceContext(ctx context.Context, ev Event) Event {
	out := ev.Clone()
	propagation.TraceContext{}.Inject(ctx, traceCarrier{&out})
	return out
}

package auditlog

import (
	"context"
	"fmt"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// consumer is the durable name the log consumes under. It was iam's before
// the log left the iam package; durable names are API (a new one would
// replay every stream), so it stays.
const consumer = "iam"

// auditedStreams are the services whose audit events the log stores, with
// the type each publishes. A new auditing service adds a row here (and its
// type in internal/events/audit.go).
var auditedStreams = []struct{ stream, typ string }{
	{"iam", events.TypeIAMAuditRecorded},
	{"payment", events.TypePaymentAuditRecorded},
	{"tour", events.TypeTourAuditRecorded},
}

// carried are the domain events that carry their own audit entry (an
// Audit field) instead of an audit event beside them, by stream. The
// entry's id is the event's.
var carried = map[string][]struct {
	typ   string
	entry func(bus.Event) (*events.AuditRecorded, error)
}{
	"payment": {
		{events.TypePaymentSucceeded, carriedBy(func(e events.PaymentSucceeded) *events.AuditRecorded { return e.Audit })},
		{events.TypePaymentFailed, carriedBy(func(e events.PaymentFailed) *events.AuditRecorded { return e.Audit })},
	},
}

func carriedBy[T any](audit func(T) *events.AuditRecorded) func(bus.Event) (*events.AuditRecorded, error) {
	return func(ev bus.Event) (*events.AuditRecorded, error) {
		e, err := bus.DataOf[T](ev)
		if err != nil {
			return nil, err
		}
		return audit(e), nil
	}
}

// Subscriptions are the log's consumers, one per auditing service: its
// audit events, and the events that carry an entry.
func (l *Log) Subscriptions() []bus.Subscription {
	subs := make([]bus.Subscription, len(auditedStreams))
	for i, a := range auditedStreams {
		handlers := map[string]bus.Handler{a.typ: l.handler(a.stream)}
		for _, c := range carried[a.stream] {
			handlers[c.typ] = l.carriedHandler(a.stream, c.entry)
		}
		subs[i] = bus.Subscription{Consumer: consumer, Stream: a.stream, Handlers: handlers}
	}
	return subs
}

// handler stores an audit event as an entry under the event's id, so a
// redelivery stores nothing more (Put ignores a known id).
func (l *Log) handler(service string) bus.Handler {
	return func(ctx context.Context, ev bus.Event) error {
		e, err := bus.DataOf[events.AuditRecorded](ev)
		if err != nil {
			return err
		}
		return l.put(ctx, service, ev, e)
	}
}

// carriedHandler stores the entry an event carries under the event's id.
// An event without one (published before its type carried entries) stores
// nothing: its entry came as an audit event.
func (l *Log) carriedHandler(service string, entry func(bus.Event) (*events.AuditRecorded, error)) bus.Handler {
	return func(ctx context.Context, ev bus.Event) error {
		e, err := entry(ev)
		if err != nil || e == nil {
			return err
		}
		return l.put(ctx, service, ev, *e)
	}
}

func (l *Log) put(ctx context.Context, service string, ev bus.Event, e events.AuditRecorded) error {
	if e.Action == "" || e.ResourceType == "" || e.ResourceID == "" || e.At.IsZero() {
		return bus.Permanent(fmt.Errorf("%s %s: action, resource and time are required", ev.Type(), ev.ID()))
	}
	return l.store.Put(ctx, Entry{
		ID: ev.ID(), Service: service, ActorID: e.ActorID, ActorRole: e.ActorRole, ActorService: e.ActorService,
		Action: e.Action, ResourceType: e.ResourceType, ResourceID: e.ResourceID,
		Before: e.Before, After: e.After, At: e.At.UTC(), RequestID: e.RequestID, TraceID: e.TraceID,
	})
}

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

// Subscriptions are the log's consumers, one per auditing service.
func (l *Log) Subscriptions() []bus.Subscription {
	subs := make([]bus.Subscription, len(auditedStreams))
	for i, a := range auditedStreams {
		subs[i] = bus.Subscription{Consumer: consumer, Stream: a.stream,
			Handlers: map[string]bus.Handler{a.typ: l.handler(a.stream)}}
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
		if e.Action == "" || e.ResourceType == "" || e.ResourceID == "" || e.At.IsZero() {
			return bus.Permanent(fmt.Errorf("%s %s: action, resource and time are required", ev.Type(), ev.ID()))
		}
		return l.store.Put(ctx, Entry{
			ID: ev.ID(), Service: service, ActorID: e.ActorID, ActorRole: e.ActorRole, ActorService: e.ActorService,
			Action: e.Action, ResourceType: e.ResourceType, ResourceID: e.ResourceID,
			Before: e.Before, After: e.After, At: e.At.UTC(), RequestID: e.RequestID, TraceID: e.TraceID,
		})
	}
}

package iam

import (
	"context"
	"fmt"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// auditedStreams are the services whose audit events iam stores, with the
// type each publishes. A new auditing service adds a row here (and its
// type in internal/events/audit.go).
var auditedStreams = []struct{ stream, typ string }{
	{"iam", events.TypeIAMAuditRecorded},
	{"payment", events.TypePaymentAuditRecorded},
	{"tour", events.TypeTourAuditRecorded},
}

// auditHandler stores an audit event as an entry under the event's id,
// so a redelivery stores nothing more (PutAuditEntry ignores a known id).
func (s *Service) auditHandler(service string) bus.Handler {
	return func(ctx context.Context, ev bus.Event) error {
		e, err := decode[events.AuditRecorded](ev)
		if err != nil {
			return bus.Permanent(fmt.Errorf("%s %s: %w", ev.Type(), ev.ID(), err))
		}
		if e.Action == "" || e.ResourceType == "" || e.ResourceID == "" || e.At.IsZero() {
			return bus.Permanent(fmt.Errorf("%s %s: action, resource and time are required", ev.Type(), ev.ID()))
		}
		return s.store.PutAuditEntry(ctx, AuditEntry{
			ID: ev.ID(), Service: service, ActorID: e.ActorID, ActorRole: e.ActorRole, ActorService: e.ActorService,
			Action: e.Action, ResourceType: e.ResourceType, ResourceID: e.ResourceID,
			Before: e.Before, After: e.After, At: e.At.UTC(), RequestID: e.RequestID, TraceID: e.TraceID,
		})
	}
}

// withAudit adds the audit handlers to subs: to the subscription on a
// stream iam already consumes (one durable per stream), or as a new one.
func (s *Service) withAudit(subs []bus.Subscription) []bus.Subscription {
	for _, a := range auditedStreams {
		stream, typ, h := a.stream, a.typ, s.auditHandler(a.stream)
		found := false
		for i := range subs {
			if subs[i].Stream == stream {
				subs[i].Handlers[typ] = h
				found = true
			}
		}
		if !found {
			subs = append(subs, bus.Subscription{Consumer: "iam", Stream: stream, Handlers: map[string]bus.Handler{typ: h}})
		}
	}
	return subs
}

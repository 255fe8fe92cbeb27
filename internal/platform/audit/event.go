package audit

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox"
)

// TypeSuffix ends the type of every audit event:
// openhouse.<service>.audit.recorded.v1. The service part is the one that
// made the change, so the entry travels on that service's stream and the
// bus's authenticity check (type, source and subject name one service)
// covers it.
const TypeSuffix = ".audit.recorded.v1"

// Type is the audit event type of service.
func Type(service string) string { return "openhouse." + service + TypeSuffix }

// IsType reports whether typ is an audit event type.
func IsType(typ string) bool {
	_, err := bus.ServiceOf(typ)
	return err == nil && strings.HasSuffix(typ, TypeSuffix)
}

// Event is e as the event service publishes; its subject is the resource
// id and its id becomes the entry's id where it is stored.
func Event(ctx context.Context, service string, e Entry) (bus.Event, error) {
	ev, err := bus.NewEvent(ctx, Type(service), e.ResourceID, e, e.At)
	if err != nil {
		return bus.Event{}, fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return ev, nil
}

// Record builds the entry for change (New) and its event (Event) in one
// step, for services whose stores take events to commit with a change.
func Record(ctx context.Context, service string, c Change, at time.Time) (bus.Event, error) {
	e, err := New(ctx, service, c, at)
	if err != nil {
		return bus.Event{}, err
	}
	return Event(ctx, service, e)
}

// Add records change in the outbox as part of tx: the entry is published
// if and only if tx commits.
func Add(ctx context.Context, tx *sql.Tx, service string, c Change, at time.Time) error {
	ev, err := Record(ctx, service, c, at)
	if err != nil {
		return err
	}
	return outbox.Add(ctx, tx, ev)
}

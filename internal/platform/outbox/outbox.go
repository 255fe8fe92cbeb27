// Package outbox makes "change state and announce it" one atomic step. A
// service writes its event into its own outbox table in the transaction that
// changes its state; a Relay publishes pending rows to the bus afterwards.
// Consumers wrap handlers in Inbox so that redelivered events change nothing.
// Together: at-least-once on the wire, exactly-once in effect, and no event
// lost when a process dies between any two steps.
package outbox

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/store"
)

const tracerName = "github.com/openhouse/openhouse/internal/platform/outbox"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate creates or updates the outbox and inbox tables in db.
func Migrate(ctx context.Context, db *store.DB) error {
	return db.Migrate(ctx, "outbox", migrationFiles, "migrations")
}

// Add records ev in the outbox as part of tx. It is published once tx
// commits; if tx rolls back, the event never existed.
//
// Add is where an event is produced, so it starts the producer span: a
// child of the span in ctx (of the event's own trace context when ctx has
// none), made by the same tracer provider. The stored event carries the
// producer span's context, so every consumer's span hangs under it,
// however much later the relay publishes.
func Add(ctx context.Context, tx *sql.Tx, ev bus.Event) (err error) {
	parent := ctx
	if !trace.SpanContextFromContext(ctx).IsValid() {
		parent = bus.ContextOf(ctx, ev)
	}
	_, span := trace.SpanFromContext(ctx).TracerProvider().Tracer(tracerName).Start(parent, "produce "+ev.Type(),
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.operation.type", "create"),
			attribute.String("messaging.message.id", ev.ID()),
			attribute.String("cloudevents.event_type", ev.Type()),
			attribute.String("cloudevents.event_subject", ev.Subject()),
		))
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "outbox add failed")
		}
		span.End()
	}()
	if span.SpanContext().IsValid() {
		ev = bus.WithTraceContext(trace.ContextWithSpan(ctx, span), ev)
	}
	payload, err := bus.Encode(ev)
	if err != nil {
		return fmt.Errorf("outbox: encode %s: %w", ev.Type(), err)
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO outbox (event_id, type, subject, payload, state, created_at) VALUES ($1, $2, $3, $4, 'pending', $5)`,
		ev.ID(), ev.Type(), ev.Subject(), payload, ev.Time().UTC())
	if err != nil {
		return fmt.Errorf("outbox: add %s: %w", ev.Type(), err)
	}
	return nil
}

// AddAll adds each event to the outbox as part of tx, in order.
func AddAll(ctx context.Context, tx *sql.Tx, events []bus.Event) error {
	for _, ev := range events {
		if err := Add(ctx, tx, ev); err != nil {
			return err
		}
	}
	return nil
}

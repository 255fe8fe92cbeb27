// Package audit records who did what to which resource, and when, for admin
// and money actions. A service builds an Entry with New, turns it into an
// event with Event and adds that event to its outbox in the transaction that
// makes the change, so an entry commits exactly when the change does: it
// cannot be lost, and it cannot exist for a change that rolled back. The iam
// service consumes every service's audit events and serves them to admins.
//
// The package knows nothing of what the actions mean; services name them.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// Entry is one audited action: the payload of every
// openhouse.<service>.audit.recorded.v1 event (internal/events.AuditRecorded
// is the consumers' copy of this shape).
type Entry struct {
	// ActorID is the user id of the caller, "service:<name>" for a service
	// identity, or empty for the service itself (a sweep, a webhook).
	ActorID string `json:"actor_id,omitempty"`
	// ActorRole is the caller's role (admin, customer, service) or, with no
	// caller, what acted: system (the service's own work) or webhook.
	ActorRole string `json:"actor_role"`
	// ActorService names the calling service (cart, tour), the service that
	// acted on its own, or the outside system of a webhook (stripe).
	ActorService string `json:"actor_service,omitempty"`
	// Action is what happened, "<resource>.<verb>" in the past tense:
	// user.verified, payment.refunded, tour.cancelled.
	Action       string `json:"action"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	// Before and After are JSON objects with the fields the action
	// changed (null when the resource did not exist before, or after).
	// They never hold secrets: New refuses keys that name one.
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
	At     time.Time       `json:"at"`
	// RequestID and TraceID find the request's log lines and trace.
	RequestID string `json:"request_id,omitempty"`
	TraceID   string `json:"trace_id,omitempty"`
}

// Actor is who acted, as an Entry records it.
type Actor struct {
	ID      string
	Role    string
	Service string
}

// Roles of actors that are not callers with a token.
const (
	// RoleSystem is a service acting on its own (reconciliation, sweeps).
	RoleSystem = "system"
	// RoleWebhook is an outside system calling in with a signed webhook.
	RoleWebhook = "webhook"
)

type actorKey struct{}

// WithActor returns ctx naming who acts when there is no authenticated
// caller in it, e.g. Actor{Role: RoleWebhook, Service: "stripe"} for a
// payment gateway's webhook. It takes precedence over the caller.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom is who acts in ctx: the actor set by WithActor, else the
// authenticated caller, else the service itself (RoleSystem).
func ActorFrom(ctx context.Context, service string) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	if p, ok := auth.PrincipalFrom(ctx); ok {
		return Actor{ID: p.ID, Role: string(p.Role), Service: p.Service}
	}
	return Actor{Role: RoleSystem, Service: service}
}

// Change describes an action before New stamps it with its actor and
// context. Before and After are marshalled to JSON; each must be a struct,
// a map or nil.
type Change struct {
	Action       string
	ResourceType string
	ResourceID   string
	Before       any
	After        any
}

// New builds the entry for change made by service at time at, taking the
// actor, request id and trace id from ctx. It fails when before or after
// is not a JSON object or holds a key that names a secret (see secret.go).
func New(ctx context.Context, service string, c Change, at time.Time) (Entry, error) {
	if c.Action == "" || c.ResourceType == "" || c.ResourceID == "" {
		return Entry{}, errors.New("audit: action, resource type and resource id are required")
	}
	before, err := object(c.Before)
	if err != nil {
		return Entry{}, fmt.Errorf("audit %s: before: %w", c.Action, err)
	}
	after, err := object(c.After)
	if err != nil {
		return Entry{}, fmt.Errorf("audit %s: after: %w", c.Action, err)
	}
	a := ActorFrom(ctx, service)
	e := Entry{
		ActorID: a.ID, ActorRole: a.Role, ActorService: a.Service,
		Action: c.Action, ResourceType: c.ResourceType, ResourceID: c.ResourceID,
		Before: before, After: after, At: at.UTC(),
		RequestID: httpapi.RequestIDFrom(ctx),
	}
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		e.TraceID = sc.TraceID().String()
	}
	return e, nil
}

// object marshals v and checks that it is a JSON object (or null) free of
// secrets.
func object(v any) (json.RawMessage, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if string(raw) == "null" {
		return raw, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("must be a JSON object, got %.40s", raw)
	}
	if key := secretKey(m); key != "" {
		return nil, fmt.Errorf("field %q looks like a secret; audit entries never hold secrets", key)
	}
	return raw, nil
}

package audit_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/openhouse/openhouse/internal/platform/audit"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

var at = time.Date(2026, 11, 25, 20, 0, 0, 0, time.FixedZone("x", 3600))

type state struct {
	Status string `json:"status"`
}

func TestActorComesFromTheContext(t *testing.T) {
	admin := auth.WithPrincipal(context.Background(), auth.Principal{ID: "u-1", Role: auth.RoleAdmin})
	tests := []struct {
		name string
		ctx  context.Context
		want audit.Actor
	}{
		{"an admin's request", admin, audit.Actor{ID: "u-1", Role: "admin"}},
		{"a service's call", auth.WithPrincipal(context.Background(), auth.ServicePrincipal("tour")),
			audit.Actor{ID: "service:tour", Role: "service", Service: "tour"}},
		{"a webhook overrides the caller", audit.WithActor(admin, audit.Actor{Role: audit.RoleWebhook, Service: "stripe"}),
			audit.Actor{Role: "webhook", Service: "stripe"}},
		{"nobody: the service itself", context.Background(), audit.Actor{Role: "system", Service: "payment"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := audit.New(tt.ctx, "payment", audit.Change{Action: "payment.refunded", ResourceType: "payment",
				ResourceID: "p-1", Before: state{"succeeded"}, After: state{"refunded"}}, at)
			if err != nil {
				t.Fatal(err)
			}
			if got := (audit.Actor{ID: e.ActorID, Role: e.ActorRole, Service: e.ActorService}); got != tt.want {
				t.Fatalf("actor = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEntryCarriesChangeRequestAndTrace(t *testing.T) {
	ctx := httpapi.WithRequestID(context.Background(), "req-42")
	traceID := trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceID, SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}, TraceFlags: trace.FlagsSampled}))
	e, err := audit.New(ctx, "iam", audit.Change{Action: "user.suspended", ResourceType: "user", ResourceID: "u-9",
		Before: state{"active"}, After: state{"suspended"}}, at)
	if err != nil {
		t.Fatal(err)
	}
	if string(e.Before) != `{"status":"active"}` || string(e.After) != `{"status":"suspended"}` {
		t.Fatalf("before/after = %s / %s", e.Before, e.After)
	}
	if e.RequestID != "req-42" || e.TraceID != traceID.String() || !e.At.Equal(at) || e.At.Location() != time.UTC {
		t.Fatalf("request %q trace %q at %v", e.RequestID, e.TraceID, e.At)
	}

	ev, err := audit.Event(ctx, "iam", e)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type() != "openhouse.iam.audit.recorded.v1" || ev.Source() != bus.Source("iam") || ev.Subject() != "u-9" {
		t.Fatalf("event %s from %s about %s", ev.Type(), ev.Source(), ev.Subject())
	}
	var back audit.Entry
	if err := json.Unmarshal(ev.Data(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Action != "user.suspended" || string(back.After) != `{"status":"suspended"}` || back.ActorRole != "system" {
		t.Fatalf("event data = %s", ev.Data())
	}
	if !audit.IsType(ev.Type()) || audit.IsType("openhouse.iam.user.verified.v1") {
		t.Fatal("IsType does not tell audit events from others")
	}
}

func TestNewRefusesSecretsAndNonObjects(t *testing.T) {
	tests := []struct {
		name          string
		before, after any
		want          string
	}{
		{"a password hash", nil, map[string]any{"password_hash": "x"}, "password_hash"},
		{"a token deep inside", map[string]any{"user": map[string]any{"tokens": []any{map[string]any{"access_token": "t"}}}}, nil, "tokens"},
		{"a client secret", map[string]any{"Client_Secret": "s"}, nil, "Client_Secret"},
		{"a private key", nil, struct {
			PrivateKey []byte `json:"private_key"`
		}{}, "private_key"},
		{"a string", "active", nil, "JSON object"},
		{"a list", nil, []string{"a"}, "JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := audit.New(context.Background(), "iam", audit.Change{Action: "user.updated", ResourceType: "user",
				ResourceID: "u-1", Before: tt.before, After: tt.after}, at)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
	if _, err := audit.New(context.Background(), "iam", audit.Change{Action: "user.updated", ResourceType: "user"}, at); err == nil {
		t.Fatal("an entry without a resource id was accepted")
	}
	e, err := audit.New(context.Background(), "iam", audit.Change{Action: "user.created", ResourceType: "user", ResourceID: "u-1",
		After: map[string]any{"email_verified": true}}, at)
	if err != nil || string(e.Before) != "null" {
		t.Fatalf("a creation (nil before) = %s, %v", e.Before, err)
	}
}

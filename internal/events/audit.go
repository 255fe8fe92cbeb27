package events

import (
	"encoding/json"
	"time"
)

// Audit event types: one per service that records audited actions, each
// published on its own service's stream (the type's service must be the
// publisher's). Every one carries an AuditRecorded; iam consumes them all
// and serves them at GET /iam/audit.
const (
	// TypeIAMAuditRecorded: admins verifying, suspending and reactivating
	// users, rotating signing keys, and replaying dead letters (the app
	// records a replay through iam, which the gateway sends /admin to).
	TypeIAMAuditRecorded = "openhouse.iam.audit.recorded.v1"
	// TypePaymentAuditRecorded: charges created and refunds requested and
	// settled. A charge's settlement (succeeded or failed, whether by the
	// charge call, a webhook or reconciliation) rides on its
	// PaymentSucceeded or PaymentFailed (their Audit field) instead.
	TypePaymentAuditRecorded = "openhouse.payment.audit.recorded.v1"
	// TypeTourAuditRecorded: tours cancelled or rescheduled by an admin.
	TypeTourAuditRecorded = "openhouse.tour.audit.recorded.v1"
)

// AuditRecorded is one audited action: who (actor), what (action on a
// resource, with the fields it changed before and after), when, and the
// request and trace it happened in. Before and After are JSON objects, or
// null when the resource did not exist on that side; they never hold
// secrets. The event id is the entry's id. The producer's side of this
// shape is internal/platform/audit.Entry.
type AuditRecorded struct {
	ActorID      string          `json:"actor_id,omitempty"`
	ActorRole    string          `json:"actor_role"`
	ActorService string          `json:"actor_service,omitempty"`
	Action       string          `json:"action"`
	ResourceType string          `json:"resource_type"`
	ResourceID   string          `json:"resource_id"`
	Before       json.RawMessage `json:"before"`
	After        json.RawMessage `json:"after"`
	At           time.Time       `json:"at"`
	RequestID    string          `json:"request_id,omitempty"`
	TraceID      string          `json:"trace_id,omitempty"`
}

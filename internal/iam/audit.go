package iam

import (
	"context"
	"encoding/json"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

// AuditEntry is one audited action of any service, as iam keeps it: the
// payload of an openhouse.<service>.audit.recorded.v1 event, with the
// event's id as its own and the publishing service.
type AuditEntry struct {
	ID           string
	Service      string
	ActorID      string
	ActorRole    string
	ActorService string
	Action       string
	ResourceType string
	ResourceID   string
	Before       json.RawMessage
	After        json.RawMessage
	At           time.Time
	RequestID    string
	TraceID      string
}

// AuditFilter narrows AuditEntries; empty fields match everything. Since is
// inclusive, Until exclusive.
type AuditFilter struct {
	ActorID      string
	Action       string
	ResourceType string
	ResourceID   string
	Since        time.Time
	Until        time.Time
}

// AuditCursor is a position in AuditEntries' order (newest first).
type AuditCursor struct {
	At time.Time `json:"a"`
	ID string    `json:"i"`
}

// AuditStore keeps the audit log.
type AuditStore interface {
	// PutAuditEntry stores e unless an entry with its id is stored
	// already, so a redelivered event is stored once.
	PutAuditEntry(ctx context.Context, e AuditEntry) error
	// AuditEntries returns up to limit entries matching f, newest first
	// (at, then id, descending), after the cursor (zero: from the newest).
	AuditEntries(ctx context.Context, f AuditFilter, after AuditCursor, limit int) ([]AuditEntry, error)
	// AddAudit puts audit events of actions that changed nothing in this
	// store into its outbox, to reach the log like every other entry.
	AddAudit(ctx context.Context, events ...bus.Event) error
}

// AuditLog pages through the audit log for admins.
func (s *Service) AuditLog(ctx context.Context, f AuditFilter, after AuditCursor, limit int) ([]AuditEntry, error) {
	return s.store.AuditEntries(ctx, f, after, limit)
}

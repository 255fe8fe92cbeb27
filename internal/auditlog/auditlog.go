// Package auditlog is the audit log of every service: it consumes each
// auditing service's openhouse.<service>.audit.recorded.v1 events, and the
// entries some domain events carry instead (a payment's settlement rides on
// payment.succeeded and payment.failed), keeps them as entries, and serves
// them to admins at GET /iam/audit.
//
// Producers build their entries with internal/platform/audit; this package
// is the one reader. It runs in the iam process, in iam's database (its own
// migration set, "audit"), under iam's durable consumer name, so the log
// kept before it moved out of the iam package is the same log.
package auditlog

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Entry is one audited action of any service: the payload of an audit
// event, with the event's id as its own and the publishing service.
type Entry struct {
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

// Filter narrows Entries; empty fields match everything. Since is
// inclusive, Until exclusive.
type Filter struct {
	ActorID      string
	Action       string
	ResourceType string
	ResourceID   string
	Since        time.Time
	Until        time.Time
}

// Cursor is a position in Entries' order (newest first).
type Cursor struct {
	At time.Time `json:"a"`
	ID string    `json:"i"`
}

// Store keeps the audit log. Implementations are safe for concurrent use.
type Store interface {
	// Put stores e unless an entry with its id is stored already, so a
	// redelivered event is stored once.
	Put(ctx context.Context, e Entry) error
	// Entries returns up to limit entries matching f, newest first (at,
	// then id, descending), after the cursor (zero: from the newest).
	Entries(ctx context.Context, f Filter, after Cursor, limit int) ([]Entry, error)
}

// Log is the audit log's consumer and its admin API.
type Log struct {
	store Store
}

// New builds the log on st.
func New(st Store) (*Log, error) {
	if st == nil {
		return nil, errors.New("auditlog: nil store")
	}
	return &Log{store: st}, nil
}

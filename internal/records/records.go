// Package records keeps what the other services tell about each user (a
// provider's listings, a customer's payments, everyone's appointments and
// notifications) as one record per thing, the newest news of it, for
// GET /iam/me to show.
//
// It is a projection of events and nothing else: it consumes listing,
// payment, appointment and notification events, and iam reads it through
// its RecordSource. It runs in the iam process, in iam's database (its own
// migration set, "records"), under iam's durable consumer name and inbox
// key, so the records kept before it left the iam package are the same.
package records

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Kind is what a record is about.
type Kind string

// Record kinds, as GET /iam/me groups them.
const (
	Listing      Kind = "listing"
	Payment      Kind = "payment"
	Appointment  Kind = "appointment"
	Notification Kind = "notification"
)

// Record is one thing another service told about a user: a summary of the
// listing, payment, appointment or notification as of ChangedAt.
type Record struct {
	UserID    string
	Kind      Kind
	RefID     string
	Summary   json.RawMessage
	ChangedAt time.Time
}

// Store keeps records. Implementations are safe for concurrent use.
type Store interface {
	// Put stores what one event told about users. It applies each event
	// id once (redeliveries change nothing) and keeps, per record, the
	// newest news.
	Put(ctx context.Context, eventID string, recs []Record) error
	// Of returns a user's records, newest first, at most limit per kind.
	Of(ctx context.Context, userID string, limit int) ([]Record, error)
}

// Book is the records' consumer and their reader.
type Book struct {
	store Store
}

// New builds the book on st.
func New(st Store) (*Book, error) {
	if st == nil {
		return nil, errors.New("records: nil store")
	}
	return &Book{store: st}, nil
}

// Summaries are a user's records grouped by kind, newest first, at most
// limit of each kind: what GET /iam/me shows (iam.RecordSource).
func (b *Book) Summaries(ctx context.Context, userID string, limit int) (map[string][]json.RawMessage, error) {
	recs, err := b.store.Of(ctx, userID, limit)
	if err != nil {
		return nil, err
	}
	out := map[string][]json.RawMessage{}
	for _, r := range recs {
		out[string(r.Kind)] = append(out[string(r.Kind)], r.Summary)
	}
	return out, nil
}

package payment

import (
	"context"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

// Store keeps payments, refunds and idempotency records. Implementations
// are safe for concurrent use; SQLStore is the one on SQLite and PostgreSQL
// and passes the suite in store_test.go.
//
// Every change goes through Update, so that a payment's new state, the
// answer recorded for its idempotency key and the events that announce it
// commit together or not at all.
type Store interface {
	// Update runs fn in one transaction. Every read through tx locks what
	// it read until the transaction ends, so read-modify-write sequences of
	// concurrent Updates (in this process or another) never interleave.
	// fn's writes and events commit if fn returns nil and are rolled back
	// otherwise; fn's error is returned (uniqueness violations wrapped in
	// store.ErrConflict). fn must not call the network: the transaction
	// holds locks (on SQLite, the database's single write lock).
	Update(ctx context.Context, fn func(tx storeTx) error) error

	// Payment returns the payment, or an error wrapping store.ErrNotFound.
	Payment(ctx context.Context, id string) (payment, error)
	// Payments lists payments newest first (created_at, then id,
	// descending), at most q.Limit, after q.After when set.
	Payments(ctx context.Context, q query) ([]payment, error)
	// Refunds lists a payment's refunds, oldest first.
	Refunds(ctx context.Context, paymentID string) ([]Refund, error)
	// StalePayments lists up to limit pending payments last updated before
	// before and created after notBefore, oldest first.
	StalePayments(ctx context.Context, before, notBefore time.Time, limit int) ([]payment, error)
	// StaleRefunds lists up to limit pending refunds last updated before
	// before, oldest first.
	StaleRefunds(ctx context.Context, before time.Time, limit int) ([]Refund, error)
	// PruneKeys deletes the answered idempotency records created before
	// before and reports how many; records still in flight stay.
	PruneKeys(ctx context.Context, before time.Time) (int, error)
}

// Tx is one Update's view of the store. Methods use the Update's context.
// Reads lock what they return (see Update); ErrNotFound and ErrConflict are
// the store package's.
type storeTx interface {
	Payment(id string) (payment, error)
	CreatePayment(p payment) error
	SavePayment(p payment) error

	Refund(id string) (Refund, error)
	CreateRefund(r Refund) error
	SaveRefund(r Refund) error
	// PendingRefunds sums the payment's pending refunds. Call it after
	// Payment(paymentID), whose lock serialises the payment's refunds.
	PendingRefunds(paymentID string) (int64, error)

	// Key returns the idempotency record or an error wrapping ErrNotFound.
	Key(scope, key string) (keyRecord, error)
	// CreateKey adds a record; ErrConflict if (scope, key) exists.
	CreateKey(r keyRecord) error
	SaveKey(r keyRecord) error

	// Publish adds events to the outbox, to be published once the
	// transaction commits.
	Publish(events ...bus.Event) error
}

// Query selects payments for the admin list.
type query struct {
	Status     status // "" for all
	CustomerID string // "" for all
	Limit      int
	// After is the position of the last payment of the previous page.
	After *position
}

// Position is a payment's place in the list order.
type position struct {
	CreatedAt time.Time `json:"c"`
	ID        string    `json:"i"`
}

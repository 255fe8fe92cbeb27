package iam

import (
	"context"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

// Store keeps users. Every write takes the events that announce it and
// stores them atomically with the change (the SQL store puts them in its
// outbox). Implementations are safe for concurrent use.
type Store interface {
	// CreateUser adds u; ErrEmailTaken if the email is registered.
	CreateUser(ctx context.Context, u User, events ...bus.Event) error
	// UserByID returns the user or an error wrapping store.ErrNotFound.
	UserByID(ctx context.Context, id string) (User, error)
	// UserByEmail returns the user or an error wrapping store.ErrNotFound.
	UserByEmail(ctx context.Context, email string) (User, error)
}

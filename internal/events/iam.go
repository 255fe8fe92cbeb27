package events

import "time"

// Event types published by the iam service.
const (
	TypeUserRegistered = "openhouse.iam.user.registered.v1"
)

// UserRegistered announces a new account. Consumers: notification (email
// address book), availability (realtors), listing (providers).
type UserRegistered struct {
	UserID       string    `json:"user_id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Role         string    `json:"role"`
	Status       string    `json:"status"`
	Verified     bool      `json:"verified"`
	RegisteredAt time.Time `json:"registered_at"`
}

// Package fault names the failures that mean the same in every layer: a
// thing that does not exist, a write that conflicts with what is there.
// Stores return them (wrapped), and the HTTP layer answers them (404, 409)
// without either knowing the other.
package fault

import "errors"

var (
	// ErrNotFound is a thing that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is a write that breaks a uniqueness rule or another
	// writer's change.
	ErrConflict = errors.New("conflict")
)

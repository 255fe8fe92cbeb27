// Package fault names failures by what they mean to a client: a thing that
// does not exist, a write that conflicts with what is there, a request with
// invalid fields. Stores and domains declare their errors with a Kind and
// return them (wrapped), and the HTTP layer answers each kind (404, 409,
// 422...) without either knowing the other.
package fault

import "strings"

var (
	// ErrNotFound is a thing that does not exist.
	ErrNotFound = NotFound("not found").WithDetail("the resource does not exist")
	// ErrConflict is a write that breaks a uniqueness rule or another
	// writer's change.
	ErrConflict = Conflict("conflict").WithDetail("the request conflicts with the current state of the resource")
)

// FieldError names one invalid field of a request and says what is wrong
// with it, in words fit for the client.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every invalid field of a request at once, so a
// client can fix them all in one round. The domain returns it; the HTTP
// layer answers it 422 with the fields.
type ValidationError []FieldError

func (v ValidationError) Error() string {
	parts := make([]string, len(v))
	for i, f := range v {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

// Answer names the invalid fields.
func (v ValidationError) Answer() Answer { return Answer{Kind: KindInvalid, Fields: v} }

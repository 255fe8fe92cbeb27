package fault

import "time"

// Kind is how a failure looks to a client. The HTTP layer answers each kind
// with one status, so a domain declares what its errors mean and never which
// status they get.
type Kind int

// The kinds of failure. The zero Kind is a failure the client did not cause:
// it is answered 500 and its text is never sent.
const (
	KindInternal        Kind = iota
	KindBadRequest           // the request cannot be read (400)
	KindUnauthorized         // no valid credentials (401)
	KindForbidden            // the caller may not do this (403)
	KindNotFound             // the thing does not exist or is not the caller's (404)
	KindConflict             // clashes with the current state (409)
	KindInvalid              // fields break rules; Answer.Fields names them (422)
	KindUnprocessable        // breaks a rule not tied to one field (422)
	KindTooManyRequests      // too many attempts; retry later (429)
	KindUnavailable          // a dependency did not answer; retry (503)
)

// Answer is what a client is told about a failure. Detail, Type, Title and
// Extensions are read by clients: they must never carry internal text (SQL,
// file paths, other users' data).
type Answer struct {
	Kind Kind
	// Detail is the client's explanation. KindInvalid answers with a fixed
	// detail and the Fields instead.
	Detail string
	// WholeText sends the text of the whole error the failure was found in,
	// wrapping included, as the detail, for errors wrapped only in words
	// fit for clients ("invalid: start and end are required").
	WholeText bool
	// Type and Title, when set, replace the kind's problem type URI and
	// title, for failures clients branch on (a slot already taken).
	Type, Title string
	// Fields are the invalid fields of a KindInvalid failure.
	Fields []FieldError
	// Extensions are more members of the answer, beside the standard ones
	// (the open times near a taken slot).
	Extensions map[string]any
	// RetryAfter, when positive, tells the client when to try again.
	RetryAfter time.Duration
}

// Answerer is an error that says what a client is told about it. The HTTP
// layer answers the first Answerer in an error's chain (errors.As), so a
// wrapped one keeps its answer. Errors that carry data of their own (the
// alternatives to a taken slot) implement it; plain ones are an *Error.
type Answerer interface {
	error
	Answer() Answer
}

// Error is a failure of a known kind: its message is for callers and logs,
// its answer for clients. Declare sentinels with the constructors
// (var ErrNotFound = fault.NotFound("no such tour")) and compare them with
// errors.Is. An Error is never changed after it is made; the With methods
// return a new one.
type Error struct {
	msg    string
	answer Answer
}

func newError(kind Kind, msg string) *Error {
	return &Error{msg: msg, answer: Answer{Kind: kind, Detail: msg}}
}

// BadRequest is a request that cannot be read; msg is also the client's detail.
func BadRequest(msg string) *Error { return newError(KindBadRequest, msg) }

// Unauthorized is a caller without valid credentials.
func Unauthorized(msg string) *Error { return newError(KindUnauthorized, msg) }

// Forbidden is a caller who may not do this.
func Forbidden(msg string) *Error { return newError(KindForbidden, msg) }

// NotFound is a thing that does not exist, or that the caller must not learn of.
func NotFound(msg string) *Error { return newError(KindNotFound, msg) }

// Conflict is a write that clashes with the current state.
func Conflict(msg string) *Error { return newError(KindConflict, msg) }

// Unprocessable is a request that breaks a rule not tied to one field.
func Unprocessable(msg string) *Error { return newError(KindUnprocessable, msg) }

// TooManyRequests is one attempt too many.
func TooManyRequests(msg string) *Error { return newError(KindTooManyRequests, msg) }

// Unavailable is a dependency that did not answer; the client may retry.
func Unavailable(msg string) *Error { return newError(KindUnavailable, msg) }

// Invalid is a request whose fields break rules; fields name each one.
func Invalid(msg string, fields ...FieldError) *Error {
	e := newError(KindInvalid, msg)
	e.answer.Fields = fields
	return e
}

// Error returns the message.
func (e *Error) Error() string { return e.msg }

// Answer returns what a client is told.
func (e *Error) Answer() Answer { return e.answer }

// WithDetail returns e with another client detail than its message, for a
// message that reads well in logs but not to a client.
func (e *Error) WithDetail(detail string) *Error {
	out := *e
	out.answer.Detail = detail
	return &out
}

// WithWholeText returns e answered with the text of the whole error it is
// found in, wrapping included (see Answer.WholeText).
func (e *Error) WithWholeText() *Error {
	out := *e
	out.answer.WholeText = true
	return &out
}

// WithRetryAfter returns e telling clients to try again after d.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	out := *e
	out.answer.RetryAfter = d
	return &out
}

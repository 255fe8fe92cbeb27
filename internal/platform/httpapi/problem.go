package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/openhouse/openhouse/internal/platform/fault"
)

// Problem type URIs. Clients may branch on them, so they are API: add new
// ones freely, never change one. They are URNs because they identify a
// kind of problem; nothing is served at them.
const (
	TypeBadRequest           = "urn:openhouse:problem:bad-request"
	TypeValidation           = "urn:openhouse:problem:validation"
	TypeUnprocessable        = "urn:openhouse:problem:unprocessable"
	TypeUnauthorized         = "urn:openhouse:problem:unauthorized"
	TypePaymentRequired      = "urn:openhouse:problem:payment-required"
	TypeForbidden            = "urn:openhouse:problem:forbidden"
	TypeNotFound             = "urn:openhouse:problem:not-found"
	TypeConflict             = "urn:openhouse:problem:conflict"
	TypeTooLarge             = "urn:openhouse:problem:too-large"
	TypeUnsupportedMediaType = "urn:openhouse:problem:unsupported-media-type"
	TypeTooManyRequests      = "urn:openhouse:problem:too-many-requests"
	TypeInternal             = "urn:openhouse:problem:internal"
	TypeUnavailable          = "urn:openhouse:problem:unavailable"
)

// ProblemContentType is the media type of every error response.
const ProblemContentType = "application/problem+json"

// FieldError names one invalid field of a request and says what is wrong
// with it, in words fit for the client (fault's, so the domain can return
// fault.ValidationError without knowing HTTP).
type FieldError = fault.FieldError

// Problem is an RFC 9457 problem details object. It is also an error, so the
// domain or a handler can return one and WriteError sends it unchanged.
//
// Detail is read by clients: it must never carry internal text (SQL, file
// paths, stack traces, other users' data).
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`

	// RetryAfter, when positive, is sent as the Retry-After header (in
	// whole seconds, rounded up). It is not part of the body.
	RetryAfter time.Duration `json:"-"`

	// Extensions are more members of the problem (RFC 9457 section 3.2),
	// such as a slot-taken answer's alternatives, written by WriteProblem
	// beside the standard members, which they never replace. (Not a
	// MarshalJSON method: types that embed Problem to add members would
	// lose theirs to it.)
	Extensions map[string]any `json:"-"`
}

// marshalProblem writes p's standard members and its extensions.
func marshalProblem(p Problem) ([]byte, error) {
	base, err := json.Marshal(p)
	if err != nil || len(p.Extensions) == 0 {
		return base, err
	}
	var merged map[string]json.RawMessage
	if err := json.Unmarshal(base, &merged); err != nil {
		return nil, err
	}
	for k, v := range p.Extensions {
		if _, standard := merged[k]; standard {
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		merged[k] = raw
	}
	return json.Marshal(merged)
}

// Error reports the status, title and detail; it is for logs and tests.
func (p *Problem) Error() string {
	return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail)
}

func newProblem(status int, typ, detail string) *Problem {
	return &Problem{Type: typ, Title: http.StatusText(status), Status: status, Detail: detail}
}

// BadRequest (400) is for a request that cannot be read: malformed JSON, a
// wrong type, an unknown field, a bad query parameter.
func BadRequest(detail string) *Problem {
	return newProblem(http.StatusBadRequest, TypeBadRequest, detail)
}

// BadQueryParam (400) names a query parameter that cannot be read and
// says what it must be.
func BadQueryParam(name, msg string) *Problem {
	p := BadRequest("query parameter " + name + " " + msg)
	p.Errors = []FieldError{{Field: name, Message: msg}}
	return p
}

// Validation (422) is for a well-formed request whose fields break rules;
// errs name each field and what is wrong with it.
func Validation(errs ...FieldError) *Problem {
	p := newProblem(http.StatusUnprocessableEntity, TypeValidation, "one or more fields are invalid; see errors")
	p.Title = "Validation failed"
	p.Errors = errs
	return p
}

// Unprocessable (422) is for a well-formed request that breaks a rule not
// tied to one field (an empty cart, a reused idempotency key).
func Unprocessable(detail string) *Problem {
	return newProblem(http.StatusUnprocessableEntity, TypeUnprocessable, detail)
}

// Unauthorized (401) is for a missing or invalid token. WriteProblem adds
// "WWW-Authenticate: Bearer" unless the handler already set that header.
func Unauthorized(detail string) *Problem {
	return newProblem(http.StatusUnauthorized, TypeUnauthorized, detail)
}

// PaymentRequired (402) is for a declined payment.
func PaymentRequired(detail string) *Problem {
	return newProblem(http.StatusPaymentRequired, TypePaymentRequired, detail)
}

// Forbidden (403) is for a valid caller without the right role. Use NotFound
// instead when the caller must not learn that the resource exists.
func Forbidden(detail string) *Problem {
	return newProblem(http.StatusForbidden, TypeForbidden, detail)
}

// NotFound (404) is for an unknown resource or another user's resource.
func NotFound(detail string) *Problem {
	return newProblem(http.StatusNotFound, TypeNotFound, detail)
}

// Conflict (409) is for a write that clashes with current state (a duplicate
// email, a slot already taken).
func Conflict(detail string) *Problem {
	return newProblem(http.StatusConflict, TypeConflict, detail)
}

// TooLarge (413) is for a request body over the limit.
func TooLarge(detail string) *Problem {
	return newProblem(http.StatusRequestEntityTooLarge, TypeTooLarge, detail)
}

// UnsupportedMediaType (415) is for a body that is not JSON.
func UnsupportedMediaType(detail string) *Problem {
	return newProblem(http.StatusUnsupportedMediaType, TypeUnsupportedMediaType, detail)
}

// TooManyRequests (429) asks the client to wait retryAfter before trying
// again; WriteProblem sends it as Retry-After.
func TooManyRequests(detail string, retryAfter time.Duration) *Problem {
	p := newProblem(http.StatusTooManyRequests, TypeTooManyRequests, detail)
	p.RetryAfter = retryAfter
	return p
}

// Unavailable (503) is for a dependency that is down or too slow; the client
// may retry.
func Unavailable(detail string) *Problem {
	return newProblem(http.StatusServiceUnavailable, TypeUnavailable, detail)
}

// WriteProblem sends p as application/problem+json with p.Status. Instance
// defaults to the request path. p is not modified, so a package-level
// Problem may be written many times. A nil p is sent as a 500.
func WriteProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p == nil {
		p = internalProblem(r)
	}
	out := *p
	if out.Instance == "" && r != nil && r.URL != nil {
		out.Instance = r.URL.Path
	}
	if out.Status < 400 || out.Status > 599 {
		out.Status = http.StatusInternalServerError
	}
	body, err := marshalProblem(out)
	if err != nil {
		// Only plain strings and ints are marshalled; this cannot happen.
		body = []byte(`{"type":"` + TypeInternal + `","title":"Internal Server Error","status":500,"detail":"internal error"}`)
		out.Status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", ProblemContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if out.Status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
		h.Set("WWW-Authenticate", "Bearer")
	}
	if out.RetryAfter > 0 {
		secs := int64((out.RetryAfter + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	w.WriteHeader(out.Status)
	_, _ = w.Write(body)
}

// internalProblem is the only answer a client gets for a failure it did not
// cause: the request id lets an operator find the logged error, and nothing
// else about it leaves the process.
func internalProblem(r *http.Request) *Problem {
	detail := "internal error"
	if r != nil {
		if id := RequestIDFrom(r.Context()); id != "" {
			detail = "internal error; request id " + id
		}
	}
	return newProblem(http.StatusInternalServerError, TypeInternal, detail)
}

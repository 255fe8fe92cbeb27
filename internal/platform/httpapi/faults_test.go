package httpapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/fault"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// slotTaken is a domain's typed error with data of its own, as tour's
// SlotTakenError is.
type slotTaken struct{ alternatives []string }

func (e slotTaken) Error() string { return "slot taken" }

func (e slotTaken) Answer() fault.Answer {
	return fault.Answer{Kind: fault.KindConflict, Detail: "that time is taken",
		Type: "urn:openhouse:problem:slot-taken", Title: "Slot taken",
		Extensions: map[string]any{"alternatives": e.alternatives, "status": 200}}
}

// TestWriteErrorAnswersFaults: each kind of fault is answered with its
// status, type, title and the detail its error declares (never the text of
// what wraps it); typed errors keep their type, title and extensions; an
// error of no known kind is a 500 that says nothing of it.
func TestWriteErrorAnswersFaults(t *testing.T) {
	const secret = "pq: relation tours_secret"
	tests := []struct {
		name   string
		err    error
		status int
		typ    string
		title  string
		detail string
		fields []httpapi.FieldError
		ext    map[string]any // more members of the body
		retry  string         // Retry-After header
	}{
		{"bad request", fault.BadRequest("a key is required"), 400, httpapi.TypeBadRequest, "Bad Request", "a key is required", nil, nil, ""},
		{"unauthorized", fault.Unauthorized("wrong email or password"), 401, httpapi.TypeUnauthorized, "Unauthorized", "wrong email or password", nil, nil, ""},
		{"forbidden", fault.Forbidden("realtors only"), 403, httpapi.TypeForbidden, "Forbidden", "realtors only", nil, nil, ""},
		{"not found", fault.NotFound("no such tour"), 404, httpapi.TypeNotFound, "Not Found", "no such tour", nil, nil, ""},
		{"conflict", fault.Conflict("the tour is finished"), 409, httpapi.TypeConflict, "Conflict", "the tour is finished", nil, nil, ""},
		{"unprocessable", fault.Unprocessable("too late"), 422, httpapi.TypeUnprocessable, "Unprocessable Entity", "too late", nil, nil, ""},
		{"invalid", fault.Invalid("wrong code", httpapi.FieldError{Field: "code", Message: "is wrong"}), 422, httpapi.TypeValidation,
			"Validation failed", "one or more fields are invalid; see errors", []httpapi.FieldError{{Field: "code", Message: "is wrong"}}, nil, ""},
		{"validation error", fault.ValidationError{{Field: "email", Message: "is required"}}, 422, httpapi.TypeValidation,
			"Validation failed", "one or more fields are invalid; see errors", []httpapi.FieldError{{Field: "email", Message: "is required"}}, nil, ""},
		{"too many", fault.TooManyRequests("slow down").WithRetryAfter(2 * time.Second), 429, httpapi.TypeTooManyRequests, "Too Many Requests", "slow down", nil, nil, "2"},
		{"unavailable", fault.Unavailable("the gateway did not answer").WithRetryAfter(time.Second), 503, httpapi.TypeUnavailable, "Service Unavailable", "the gateway did not answer", nil, nil, "1"},
		{"store not found", fmt.Errorf("get tour %s: %w", secret, fault.ErrNotFound), 404, httpapi.TypeNotFound, "Not Found", "the resource does not exist", nil, nil, ""},
		{"store conflict", fmt.Errorf("insert %s: %w", secret, fault.ErrConflict), 409, httpapi.TypeConflict, "Conflict", "the request conflicts with the current state of the resource", nil, nil, ""},
		{"detail other than the message", fault.NotFound("listing not found").WithDetail("no listing with this id"), 404, httpapi.TypeNotFound, "Not Found", "no listing with this id", nil, nil, ""},
		{"wrapped keeps its own detail", fmt.Errorf("cancel tour %s: %w", secret, fault.Conflict("the tour is finished")), 409, httpapi.TypeConflict, "Conflict", "the tour is finished", nil, nil, ""},
		{"whole text on request", fmt.Errorf("%w: start and end go together", fault.Unprocessable("invalid").WithWholeText()), 422, httpapi.TypeUnprocessable, "Unprocessable Entity", "invalid: start and end go together", nil, nil, ""},
		{"typed error keeps type, title, extensions", fmt.Errorf("book: %w", slotTaken{alternatives: []string{"10:00"}}), 409, "urn:openhouse:problem:slot-taken", "Slot taken", "that time is taken",
			nil, map[string]any{"alternatives": []any{"10:00"}}, ""},
		{"unknown error", errors.New(secret), 500, httpapi.TypeInternal, "Internal Server Error", "internal error; request id req-1", nil, nil, ""},
		{"internal kind", fmt.Errorf("%w: %s", fault.Answerer(internalFault{}), secret), 500, httpapi.TypeInternal, "Internal Server Error", "internal error; request id req-1", nil, nil, ""},
		{"kind not known", unknownKind{}, 500, httpapi.TypeInternal, "Internal Server Error", "internal error; request id req-1", nil, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, logs := writeErrorFor(tc.err)

			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.status, rec.Body)
			}
			if strings.Contains(rec.Body.String(), secret) {
				t.Errorf("body leaks the error's text: %s", rec.Body)
			}
			if got := rec.Header().Get("Retry-After"); got != tc.retry {
				t.Errorf("Retry-After = %q, want %q", got, tc.retry)
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("decode %s: %v", rec.Body, err)
			}
			want := map[string]any{"type": tc.typ, "title": tc.title, "status": float64(tc.status), "detail": tc.detail, "instance": "/tours/t1"}
			if tc.fields != nil {
				var fields []any
				for _, f := range tc.fields {
					fields = append(fields, map[string]any{"field": f.Field, "message": f.Message})
				}
				want["errors"] = fields
			}
			for k, v := range tc.ext {
				want[k] = v
			}
			if !reflect.DeepEqual(body, want) {
				t.Errorf("body = %v,\nwant   %v", body, want)
			}
			if logged := strings.Contains(logs.String(), `"msg":"internal error"`); logged != (tc.status == 500) {
				t.Errorf("internal error logged = %v, want %v", logged, tc.status == 500)
			}
		})
	}
}

// TestFaultSentinelsCompare: an Error made by a With method is a sentinel
// of its own, and wrapping keeps errors.Is.
func TestFaultSentinelsCompare(t *testing.T) {
	base := fault.NotFound("listing not found")
	other := base.WithDetail("no listing with this id")
	if errors.Is(other, base) || errors.Is(base, other) {
		t.Error("WithDetail's error compares equal to the one it came from")
	}
	if base.Answer().Detail != "listing not found" {
		t.Errorf("WithDetail changed the original: %q", base.Answer().Detail)
	}
	if !errors.Is(fmt.Errorf("get: %w", other), other) {
		t.Error("a wrapped sentinel is not errors.Is itself")
	}
}

type internalFault struct{}

func (internalFault) Error() string        { return "internal" }
func (internalFault) Answer() fault.Answer { return fault.Answer{Detail: "must not be sent"} }

type unknownKind struct{}

func (unknownKind) Error() string        { return "odd" }
func (unknownKind) Answer() fault.Answer { return fault.Answer{Kind: 99, Detail: "must not be sent"} }

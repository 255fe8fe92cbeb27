package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/fault"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/store"
)

func TestConstructors(t *testing.T) {
	tests := []struct {
		p      *httpapi.Problem
		status int
		typ    string
	}{
		{httpapi.BadRequest("d"), 400, httpapi.TypeBadRequest},
		{httpapi.Unauthorized("d"), 401, httpapi.TypeUnauthorized},
		{httpapi.PaymentRequired("d"), 402, httpapi.TypePaymentRequired},
		{httpapi.Forbidden("d"), 403, httpapi.TypeForbidden},
		{httpapi.NotFound("d"), 404, httpapi.TypeNotFound},
		{httpapi.Conflict("d"), 409, httpapi.TypeConflict},
		{httpapi.TooLarge("d"), 413, httpapi.TypeTooLarge},
		{httpapi.UnsupportedMediaType("d"), 415, httpapi.TypeUnsupportedMediaType},
		{httpapi.Unprocessable("d"), 422, httpapi.TypeUnprocessable},
		{httpapi.Validation(httpapi.FieldError{Field: "f", Message: "m"}), 422, httpapi.TypeValidation},
		{httpapi.TooManyRequests("d", time.Second), 429, httpapi.TypeTooManyRequests},
		{httpapi.Unavailable("d"), 503, httpapi.TypeUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			rec := httptest.NewRecorder()
			httpapi.WriteProblem(rec, httptest.NewRequest(http.MethodGet, "/x/y?secret=1", nil), tc.p)
			p := readProblem(t, rec, tc.status)
			if p.Type != tc.typ {
				t.Errorf("type = %q, want %q", p.Type, tc.typ)
			}
			if p.Instance != "/x/y" {
				t.Errorf("instance = %q, want the path without query", p.Instance)
			}
			if tc.p.Instance != "" {
				t.Errorf("WriteProblem modified its argument")
			}
		})
	}
}

func TestWriteProblemHeaders(t *testing.T) {
	tests := []struct {
		name   string
		p      *httpapi.Problem
		header string
		want   string
	}{
		{"401 challenges", httpapi.Unauthorized("no token"), "WWW-Authenticate", "Bearer"},
		{"403 does not challenge", httpapi.Forbidden("no"), "WWW-Authenticate", ""},
		{"429 retry after", httpapi.TooManyRequests("slow down", 1500*time.Millisecond), "Retry-After", "2"},
		{"429 whole seconds", httpapi.TooManyRequests("slow down", 30*time.Second), "Retry-After", "30"},
		{"no retry after otherwise", httpapi.Unavailable("down"), "Retry-After", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			httpapi.WriteProblem(rec, httptest.NewRequest(http.MethodGet, "/", nil), tc.p)
			if got := rec.Header().Get(tc.header); got != tc.want {
				t.Errorf("%s = %q, want %q", tc.header, got, tc.want)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	const secret = `pq: SELECT password_hash FROM users WHERE id = 'u1'`
	tests := []struct {
		name   string
		err    error
		status int
		detail string // the detail must contain this
		logged bool   // the error is logged at Error level
	}{
		{"problem as is", httpapi.Forbidden("realtors only"), 403, "realtors only", false},
		{"wrapped problem", fmt.Errorf("check role: %w", httpapi.Conflict("slot taken")), 409, "slot taken", false},
		{"not found", fmt.Errorf("get tour t1: %w", store.ErrNotFound), 404, "does not exist", false},
		{"conflict", fmt.Errorf("insert user: %w: users_email_key", store.ErrConflict), 409, "conflicts", false},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), 503, "too long", false},
		{"max bytes", fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 10}), 413, "10 bytes", false},
		{"anything else", errors.New(secret), 500, "internal error; request id req-1", true},
		{"nil", nil, 500, "internal error", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, logs := writeErrorFor(tc.err)

			p := readProblem(t, rec, tc.status)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not contain %q", p.Detail, tc.detail)
			}
			if strings.Contains(rec.Body.String(), "password_hash") || strings.Contains(rec.Body.String(), "users_email_key") {
				t.Errorf("body leaks internal text: %s", rec.Body)
			}
			var found bool
			for _, m := range logs.records(t) {
				if m["msg"] == "internal error" {
					found = true
					if m["level"] != "ERROR" || m["request_id"] != "req-1" {
						t.Errorf("log record %v lacks level ERROR or request_id", m)
					}
					if tc.err != nil && m["error"] != tc.err.Error() {
						t.Errorf("logged error = %v, want %q", m["error"], tc.err)
					}
				}
			}
			if found != tc.logged {
				t.Errorf("error logged = %v, want %v; logs:\n%s", found, tc.logged, logs)
			}
		})
	}
}

func TestWriteErrorWithoutMiddlewareUsesDefaultLogger(t *testing.T) {
	rec := httptest.NewRecorder()
	httpapi.WriteError(rec, httptest.NewRequest(http.MethodGet, "/", nil), io.ErrClosedPipe)
	p := readProblem(t, rec, 500)
	if p.Detail != "internal error" {
		t.Errorf("detail %q", p.Detail)
	}
}

func TestWriteErrorValidation(t *testing.T) {
	rec := httptest.NewRecorder()
	err := fmt.Errorf("register: %w", fault.ValidationError{{Field: "email", Message: "is not an address"}, {Field: "name", Message: "is required"}})
	httpapi.WriteError(rec, httptest.NewRequest(http.MethodPost, "/iam/register", nil), err)
	p := readProblem(t, rec, 422)
	if p.Type != httpapi.TypeValidation || len(p.Errors) != 2 || p.Errors[0] != (httpapi.FieldError{Field: "email", Message: "is not an address"}) ||
		p.Errors[1].Field != "name" {
		t.Errorf("problem %+v, want a validation problem naming email and name", p)
	}
}

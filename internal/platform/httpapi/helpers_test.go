package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// problemBody is the wire form of a problem, decoded independently of the
// package's own type so the tests check what clients see.
type problemBody struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
	Errors   []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// readProblem asserts that rec holds a problem+json answer with status and
// returns its body.
func readProblem(t *testing.T, rec *httptest.ResponseRecorder, status int) problemBody {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json", ct)
	}
	var p problemBody
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("decode problem: %v", err)
	}
	if p.Status != status {
		t.Errorf("problem status = %d, want %d", p.Status, status)
	}
	if !strings.HasPrefix(p.Type, "urn:openhouse:problem:") || p.Title == "" {
		t.Errorf("problem type/title = %q/%q", p.Type, p.Title)
	}
	return p
}

func jsonRequest(method, target, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// logBuffer collects JSON log records; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records returns every logged record as a map.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(strings.NewReader(b.String()))
	for {
		var m map[string]any
		if err := dec.Decode(&m); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatalf("decode log: %v", err)
		}
		out = append(out, m)
	}
}

func newLogger() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// serve runs h for r through Chain with RequestID, as services do, so
// problems carry request ids.
func serve(h http.Handler, r *http.Request, mws ...httpapi.Middleware) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	httpapi.Chain(h, mws...).ServeHTTP(rec, r)
	return rec
}

// writeErrorFor answers err with WriteError for GET /tours/t1 (request id
// req-1) behind RequestID and Logging, as services do, and returns the
// answer and the logs.
func writeErrorFor(err error) (*httptest.ResponseRecorder, *logBuffer) {
	logger, logs := newLogger()
	r := httptest.NewRequest(http.MethodGet, "/tours/t1", nil)
	r.Header.Set("X-Request-Id", "req-1")
	rec := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteError(w, r, err)
	}), r, httpapi.RequestID, httpapi.Logging(logger))
	return rec, logs
}

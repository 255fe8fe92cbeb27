package app

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/bus/bustest"
)

// TestReplayNeedsTheAuditor: a process without iam has nowhere to record a
// replay, so it refuses (503 problem) instead of replaying unrecorded,
// before it even looks the dead letter up; listing still works.
func TestReplayNeedsTheAuditor(t *testing.T) {
	b := bustest.Embedded(t).Connect(t)
	mux := http.NewServeMux()
	for _, rt := range deadLetterRoutes(b, nil) {
		mux.Handle(rt.Pattern, rt.Handler) // as an admin: the rule is the access matrix's business
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("POST", "/admin/dead-letters/1/replay", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("replay without iam = %d %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/admin/dead-letters", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("list without iam = %d %s", rec.Code, rec.Body)
	}
}

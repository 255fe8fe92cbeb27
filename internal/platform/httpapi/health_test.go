package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

func TestHealthz(t *testing.T) {
	var h httpapi.Health
	h.Add("db", func(context.Context) error { return errors.New("down") }) // liveness ignores it
	rec := httptest.NewRecorder()
	h.Healthz(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"status":"ok"}` {
		t.Fatalf("healthz = %d %s", rec.Code, rec.Body)
	}
}

func TestReadyz(t *testing.T) {
	ok := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("dial tcp: connection refused") }
	waitsForDeadline := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	never := make(chan struct{}) // a check that ignores its context
	t.Cleanup(func() { close(never) })
	ignoresContext := func(context.Context) error { <-never; return nil }
	panics := func(context.Context) error { panic("bad check") }

	tests := []struct {
		name   string
		checks map[string]httpapi.Check
		status int
		want   map[string]string // check name -> exact text, or prefix when ending in "*"
	}{
		{"no checks", nil, 200, map[string]string{}},
		{"all ok", map[string]httpapi.Check{"db": ok, "bus": ok}, 200, map[string]string{"db": "ok", "bus": "ok"}},
		{"one down", map[string]httpapi.Check{"db": ok, "bus": down}, 503,
			map[string]string{"db": "ok", "bus": "dial tcp: connection refused"}},
		{"deadline", map[string]httpapi.Check{"db": ok, "slow": waitsForDeadline}, 503,
			map[string]string{"db": "ok", "slow": "*"}},
		{"ignores context", map[string]httpapi.Check{"db": ok, "stuck": ignoresContext}, 503,
			map[string]string{"db": "ok", "stuck": "timed out after 50ms"}},
		{"panics", map[string]httpapi.Check{"db": panics}, 503, map[string]string{"db": "check panicked: bad check"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &httpapi.Health{Timeout: 50 * time.Millisecond}
			for name, c := range tc.checks {
				h.Add(name, c)
			}
			rec := httptest.NewRecorder()
			h.Readyz(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))

			if rec.Code != tc.status || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("readyz = %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			var body struct {
				Status string            `json:"status"`
				Checks map[string]string `json:"checks"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			wantStatus := map[int]string{200: "ready", 503: "not ready"}[tc.status]
			if body.Status != wantStatus || body.Checks == nil || len(body.Checks) != len(tc.want) {
				t.Fatalf("body = %s", rec.Body)
			}
			for name, want := range tc.want {
				got := body.Checks[name]
				if want == "*" {
					if got == "" || got == "ok" {
						t.Errorf("check %s = %q, want an error", name, got)
					}
					continue
				}
				if got != want {
					t.Errorf("check %s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

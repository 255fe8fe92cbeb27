package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

func TestNewServer(t *testing.T) {
	h := http.NotFoundHandler()
	s := httpapi.NewServer(":8080", h)
	if s.Addr != ":8080" || s.Handler == nil || s.ErrorLog == nil {
		t.Fatalf("server %+v", s)
	}
	for name, got := range map[string]time.Duration{
		"ReadHeaderTimeout": s.ReadHeaderTimeout - 5*time.Second,
		"ReadTimeout":       s.ReadTimeout - 30*time.Second,
		"WriteTimeout":      s.WriteTimeout - 60*time.Second,
		"IdleTimeout":       s.IdleTimeout - 120*time.Second,
	} {
		if got != 0 {
			t.Errorf("%s off by %s", name, got)
		}
	}
	if s.MaxHeaderBytes != 64<<10 {
		t.Errorf("MaxHeaderBytes = %d", s.MaxHeaderBytes)
	}
}

func TestSecurityHeaders(t *testing.T) {
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		wantCach string
	}{
		{"defaults", func(w http.ResponseWriter, r *http.Request) { httpapi.WriteJSON(w, 200, "x") }, "no-store"},
		{"problem", func(w http.ResponseWriter, r *http.Request) { httpapi.WriteError(w, r, httpapi.NotFound("x")) }, "no-store"},
		{"handler overrides", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=300")
			httpapi.WriteJSON(w, 200, "jwks")
		}, "public, max-age=300"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(tc.handler, httptest.NewRequest(http.MethodGet, "/", nil), httpapi.SecurityHeaders)
			want := map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "no-referrer",
				"X-Frame-Options":        "DENY",
				"Cache-Control":          tc.wantCach,
			}
			for k, v := range want {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

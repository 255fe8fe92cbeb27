package httpapi

import (
	"log/slog"
	"net/http"
	"time"
)

// NewServer returns an http.Server for h on addr with timeouts that keep slow
// or idle clients from holding connections: 5 s to send headers, 30 s to send
// the body, 60 s to receive the answer, 2 min idle between keep-alive
// requests, and 64 KiB of headers. Streaming handlers (SSE) extend their own
// write deadline with http.ResponseController. Server errors (TLS handshakes,
// bad requests) are logged through slog.Default() at Warn.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
}

// SecurityHeaders sets headers every API answer should carry: no MIME
// sniffing, no Referer leaks, no framing, and no caching (answers are
// per-user). They are set before the handler runs, so a handler may still
// override one, e.g. Cache-Control on a public, cacheable document.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

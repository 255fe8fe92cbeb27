package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

type loggerKey struct{}

// LoggerFrom returns the request's logger (which carries request_id) put in
// ctx by Logging, or slog.Default() with the request id if Logging did not
// run. Handlers log through it so every line of a request can be found by id.
func LoggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	l := slog.Default()
	if id := RequestIDFrom(ctx); id != "" {
		l = l.With("request_id", id)
	}
	return l
}

// WithLogger returns ctx carrying l, for LoggerFrom.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// Logging puts a logger carrying request_id in the request context (see
// LoggerFrom) and writes one access log line per request with method, route
// (the matched pattern, or "unmatched"), path, status, bytes, duration_ms and
// request_id. 5xx answers are logged at Error, the rest at Info. A request
// whose handler panicked is logged as a 500.
//
// It never logs headers, the query string or bodies: they carry tokens,
// passwords and personal data. Place it inside RequestID so the id is known.
// A nil logger means slog.Default().
func Logging(logger *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			l := logger
			if l == nil {
				l = slog.Default()
			}
			if id := RequestIDFrom(r.Context()); id != "" {
				l = l.With("request_id", id)
			}
			r, route := withRouteHolder(r)
			r = r.WithContext(WithLogger(r.Context(), l))
			rec := recordResponse(w)
			returned := false
			// Deferred, so a request aborted by a panic is still logged.
			defer func() {
				status := rec.outcome(returned)
				level := slog.LevelInfo
				if status >= 500 {
					level = slog.LevelError
				}
				l.LogAttrs(r.Context(), level, "http request",
					slog.String("method", r.Method),
					slog.String("route", route.route(r)),
					slog.String("path", LoggablePath(r.URL.Path)),
					slog.Int("status", status),
					slog.Int64("bytes", rec.bytes),
					slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				)
			}()
			next.ServeHTTP(rec, r)
			returned = true
		})
	}
}

package gateway

import (
	"net/http"
	"strings"
	"time"
)

// streamWriter lifts the server's write deadline for an answer that is an
// event stream (Content-Type text/event-stream: GET /events/stream). The
// gateway's write timeout is meant for ordinary answers; a proxied stream
// would be cut at it, every minute, and the page would reconnect. The
// service bounds a stream's age itself (internal/web: 5 minutes), and it
// is the upstream's answer that decides, not anything the client sends,
// so a client cannot lift the deadline of other answers.
type streamWriter struct{ http.ResponseWriter }

func (s streamWriter) WriteHeader(code int) {
	if strings.HasPrefix(s.Header().Get("Content-Type"), "text/event-stream") {
		_ = http.NewResponseController(s.ResponseWriter).SetWriteDeadline(time.Time{})
	}
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController (which ReverseProxy flushes with)
// reach the connection's writer.
func (s streamWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// liftStreamDeadlines wraps the writer of every proxied request.
func liftStreamDeadlines(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(streamWriter{w}, r)
	})
}

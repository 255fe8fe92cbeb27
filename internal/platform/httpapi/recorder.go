package httpapi

import "net/http"

// statusRecorder remembers the status and body size a handler sent, for the
// access log, the metrics and Recover. Middleware that needs one reuses the
// recorder an outer middleware installed, so all see the same answer.
//
// It implements http.Flusher and Unwrap, so streaming responses (SSE) work
// through it: Flush reaches the connection, and http.ResponseController can
// reach the real writer (to extend the write deadline past the server's
// WriteTimeout, for instance).
type statusRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func recordResponse(w http.ResponseWriter) *statusRecorder {
	if rec, ok := w.(*statusRecorder); ok {
		return rec
	}
	return &statusRecorder{ResponseWriter: w}
}

func (s *statusRecorder) WriteHeader(code int) {
	// 1xx other than 101 are informational (103 Early Hints); the final
	// status comes later.
	if !s.wroteHeader && (code < 100 || code > 199 || code == http.StatusSwitchingProtocols) {
		s.status = code
		s.wroteHeader = true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.markWritten()
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Flush sends buffered data to the client. Writers that cannot flush make it
// a no-op, as http.Flusher callers expect.
func (s *statusRecorder) Flush() {
	s.markWritten()
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController find the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) markWritten() {
	if !s.wroteHeader {
		s.status = http.StatusOK
		s.wroteHeader = true
	}
}

// Status is what the client got: net/http sends 200 for a handler that
// wrote nothing.
func (s *statusRecorder) Status() int {
	if !s.wroteHeader {
		return http.StatusOK
	}
	return s.status
}

// outcome is the status to log and count for a request. returned says
// whether the handler returned normally: one that panicked failed, whatever
// it had written, and whether Recover sits inside or outside the caller.
func (s *statusRecorder) outcome(returned bool) int {
	if !returned {
		return http.StatusInternalServerError
	}
	return s.Status()
}

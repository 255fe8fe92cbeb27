package httpapi

import (
	"net/http"
	"strings"
)

// MuxErrors makes the ServeMux's own answers (404 for an unknown path, 405
// for a known path with another method) problem+json like every other error.
// The mux writes those as text/plain; handlers never do, because they answer
// through WriteJSON and WriteError. So a text/plain 404 or 405 is rewritten
// and everything else passes through untouched.
func MuxErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&muxErrorWriter{ResponseWriter: w, r: r}, r)
	})
}

type muxErrorWriter struct {
	http.ResponseWriter
	r        *http.Request
	rewrote  bool
	wroteHdr bool
}

func (m *muxErrorWriter) WriteHeader(code int) {
	if m.wroteHdr {
		return
	}
	m.wroteHdr = true
	ct := m.Header().Get("Content-Type")
	if (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) && strings.HasPrefix(ct, "text/plain") {
		m.rewrote = true
		m.Header().Del("Content-Type")
		m.Header().Del("X-Content-Type-Options")
		p := NotFound("no such resource")
		if code == http.StatusMethodNotAllowed {
			p = &Problem{Type: "urn:openhouse:problem:method-not-allowed", Title: "Method not allowed",
				Status: http.StatusMethodNotAllowed, Detail: "this resource does not accept " + m.r.Method}
		}
		WriteProblem(m.ResponseWriter, m.r, p)
		return
	}
	m.ResponseWriter.WriteHeader(code)
}

func (m *muxErrorWriter) Write(b []byte) (int, error) {
	if !m.wroteHdr {
		m.WriteHeader(http.StatusOK)
	}
	if m.rewrote {
		return len(b), nil // the mux's plain-text body is replaced by the problem
	}
	return m.ResponseWriter.Write(b)
}

// Flush keeps streaming responses working through the wrapper.
func (m *muxErrorWriter) Flush() {
	if f, ok := m.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (m *muxErrorWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

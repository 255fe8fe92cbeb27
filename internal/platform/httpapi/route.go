package httpapi

import (
	"context"
	"net/http"
	"sync/atomic"
)

// Unmatched is the route label of a request no pattern matched (the mux's
// 404 and 405 answers). Labelling them all alike keeps the number of metric
// series bounded whatever paths clients send.
const Unmatched = "unmatched"

// routeHolder carries the pattern the ServeMux matched out to the middleware
// around it. The mux records the pattern by setting r.Pattern on the request
// it was given; middleware further out holds a different *http.Request (each
// r.WithContext is a copy) and would never see it. So the outermost
// middleware that needs the route puts a holder in the context, and
// captureRoute, sitting directly around the mux, fills it in.
//
// The pattern is stored atomically because a handler may outlive the
// middleware that waits for it (http.TimeoutHandler runs it in another
// goroutine).
type routeHolder struct {
	pattern atomic.Pointer[string]
}

type routeKey struct{}

// withRouteHolder returns r with a holder in its context, reusing one an
// outer middleware already placed there.
func withRouteHolder(r *http.Request) (*http.Request, *routeHolder) {
	if h, ok := r.Context().Value(routeKey{}).(*routeHolder); ok {
		return r, h
	}
	h := &routeHolder{}
	return r.WithContext(context.WithValue(r.Context(), routeKey{}, h)), h
}

// route returns the matched pattern, or Unmatched. r is the request the
// middleware passed down; its own Pattern is used when no holder was filled
// (the middleware wraps a single route, or the mux was wrapped without
// Chain and nothing in between copied the request).
func (h *routeHolder) route(r *http.Request) string {
	if p := h.pattern.Load(); p != nil {
		return *p
	}
	if p := matchedPattern(r); p != "" {
		return p
	}
	return Unmatched
}

// captureRoute records the pattern the wrapped handler (normally the mux)
// matched into the context's holder. It reads r.Pattern after the handler
// returns, or panics, because ServeMux sets it on this very request.
func captureRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := matchedPattern(r)
			if p == "" {
				return
			}
			if h, ok := r.Context().Value(routeKey{}).(*routeHolder); ok {
				h.pattern.Store(&p)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// matchedPattern is r.Pattern, except for CONNECT: for those the mux may put
// a client-chosen path there, which would make route labels unbounded, and
// no openhouse route serves CONNECT.
func matchedPattern(r *http.Request) string {
	if r.Method == http.MethodConnect {
		return ""
	}
	return r.Pattern
}

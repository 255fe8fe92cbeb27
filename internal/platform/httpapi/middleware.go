package httpapi

import "net/http"

// Middleware wraps a handler with behaviour shared by every route (ids, logs,
// metrics, recovery). It must call next at most once, and must not keep w or
// r after next returns.
type Middleware func(http.Handler) http.Handler

// Chain wraps h in mws, the first being the outermost: Chain(h, a, b) serves
// a request through a, then b, then h.
//
// Chain also puts a small hook directly around h that passes the route
// pattern the ServeMux matched back out to Logging and Metrics, even when a
// middleware in between replaced the request (r.WithContext makes a copy the
// outer middleware never sees). Wrap the mux with Chain rather than by hand
// so routes are labelled correctly.
func Chain(h http.Handler, mws ...Middleware) http.Handler {
	h = captureRoute(h)
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

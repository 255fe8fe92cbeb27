package httpapi

import (
	"net/http"
	"slices"
	"strings"
)

// CORS lets the browser pages of the listed origins call the API (a web app
// served from another host). It is off unless origins are configured
// (OPENHOUSE_CORS_ORIGINS): the embedded web app is same-origin and needs
// none. "*" admits every origin; the API authenticates with bearer tokens,
// never cookies, so no credentials are ever allowed cross-origin.
//
// A preflight (OPTIONS with Access-Control-Request-Method) from an allowed
// origin is answered here with 204; from any other origin it gets 403, and
// a plain request from another origin is served without CORS headers, so
// the browser withholds the answer from the page.
func CORS(origins []string) Middleware {
	any := slices.Contains(origins, "*")
	allowed := func(origin string) bool { return any || slices.Contains(origins, origin) }
	return func(next http.Handler) http.Handler {
		if len(origins) == 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			if origin == "" {
				next.ServeHTTP(w, r)
				return
			}
			h := w.Header()
			h.Add("Vary", "Origin")
			preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
			if !allowed(origin) {
				if preflight {
					WriteError(w, r, Forbidden("origin "+origin+" may not call this API"))
					return
				}
				next.ServeHTTP(w, r)
				return
			}
			h.Set("Access-Control-Allow-Origin", origin)
			if !preflight {
				h.Set("Access-Control-Expose-Headers", "Location, Retry-After, Idempotent-Replayed")
				next.ServeHTTP(w, r)
				return
			}
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", strings.Join([]string{"Authorization", "Content-Type", "Idempotency-Key", "If-Match"}, ", "))
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
		})
	}
}

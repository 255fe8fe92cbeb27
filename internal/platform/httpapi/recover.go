package httpapi

import (
	"fmt"
	"net/http"
	"runtime/debug"
)

// Recover turns a panic in a handler into a 500 problem, logging the panic
// value and stack (never sending them). If the handler had already started
// its answer, a problem can no longer be sent; Recover then aborts the
// connection (http.ErrAbortHandler) so the client sees a broken response
// rather than a complete-looking one. A handler's own http.ErrAbortHandler
// passes through untouched.
//
// Place it inside Logging and Metrics so the 500 is logged and counted.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := recordResponse(w)
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			LoggerFrom(r.Context()).ErrorContext(r.Context(), "panic serving request",
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()),
				"method", r.Method, "path", LoggablePath(r.URL.Path))
			if rec.wroteHeader {
				panic(http.ErrAbortHandler)
			}
			WriteProblem(rec, r, internalProblem(r))
		}()
		next.ServeHTTP(rec, r)
	})
}

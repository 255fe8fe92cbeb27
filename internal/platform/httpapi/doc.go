// Package httpapi holds the HTTP mechanisms every openhouse service shares:
// problem+json errors (RFC 9457), strict JSON decoding, request ids, access
// logs, RED metrics, panic recovery, health endpoints, cursor pagination and
// a server with sane timeouts. It holds no business rules.
//
// A handler translates: Decode the request (which also validates it), call
// the domain, then answer with WriteJSON or, on any error, WriteError. Errors
// become problem+json in WriteError and nowhere else.
//
// A service registers its routes on an http.ServeMux (Go 1.22 patterns such
// as "POST /iam/register") and wraps the mux once with Chain:
//
//	h := httpapi.Chain(mux,
//		httpapi.RequestID,             // outermost: every later log line carries the id
//		httpapi.Logging(logger),       // access log; puts the request logger in the context
//		httpapi.Metrics(reg, "tours"), // RED metrics labelled by route pattern
//		httpapi.Recover,               // inside Logging and Metrics, so a panic is logged and counted as a 500
//		httpapi.SecurityHeaders,
//	)
//	srv := httpapi.NewServer(addr, h)
package httpapi

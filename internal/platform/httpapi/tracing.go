package httpapi

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Tracing starts a server span for every request, continuing the trace of
// a traceparent header if the caller sent one. The span is named after the
// route pattern the ServeMux matched ("POST /cart/checkout"), like the
// metrics' route label, so names stay bounded; requests no pattern matched
// are named Unmatched. Probes and /metrics are not traced unless the caller
// sent a traceparent. Put it first in Chain so that everything after it
// (logs included) sees the span.
func Tracing(tp trace.TracerProvider) Middleware {
	return func(next http.Handler) http.Handler {
		named := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, route := withRouteHolder(r)
			defer func() {
				span := trace.SpanFromContext(r.Context())
				pattern := route.route(r)
				span.SetName(pattern)
				span.SetAttributes(attribute.String("http.route", pattern))
			}()
			next.ServeHTTP(w, r)
		})
		return otelhttp.NewHandler(named, "http.server",
			otelhttp.WithTracerProvider(tp),
			otelhttp.WithPropagators(propagation.TraceContext{}),
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return methodLabel(r.Method) }),
			otelhttp.WithFilter(traced),
		)
	}
}

// traced leaves the probes and the metrics scrape out of traces: they run
// every few seconds and would bury the requests that matter. Secret paths
// (secretpath.go) are left out too: a span records the path.
func traced(r *http.Request) bool {
	if secretPath(r.URL.Path) {
		return false
	}
	switch r.URL.Path {
	case "/healthz", "/readyz", "/metrics":
		return r.Header.Get("Traceparent") != "" // unless a caller asked for it
	}
	return true
}

// TracingTransport makes client spans for outgoing requests and injects
// their traceparent, so the called service continues the trace. A nil base
// is a PeerTransport.
func TracingTransport(base http.RoundTripper, tp trace.TracerProvider) http.RoundTripper {
	if base == nil {
		base = PeerTransport()
	}
	return otelhttp.NewTransport(base,
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(propagation.TraceContext{}),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return clientSpanName(r) }),
	)
}

// clientSpanName names a call by method and the first path segment, the
// service's API ("call POST /payments"): ids in the rest of the path would
// make names unbounded. The full URL is an attribute of the span.
func clientSpanName(r *http.Request) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return "call " + methodLabel(r.Method) + " /" + first
}

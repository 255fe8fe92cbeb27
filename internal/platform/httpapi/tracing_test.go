package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// TestTracing: a server span per request named after the route pattern
// (bounded, whatever the path), continuing the caller's trace; a client
// call made inside it is its child and carries traceparent onward.
func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))

	var gotParent string
	downstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotParent = r.Header.Get("Traceparent")
	}))
	defer downstream.Close()
	client := &http.Client{Transport: httpapi.TracingTransport(nil, tp)}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /tours/{id}", func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", downstream.URL+"/payments/p1", nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
	})
	// A middleware that copies the request, as most do: the route must
	// still reach the span.
	copying := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), struct{}{}, 1)))
		})
	}
	h := httpapi.Chain(mux, httpapi.Tracing(tp), copying)

	caller := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	req := httptest.NewRequest("GET", "/tours/42", nil)
	req.Header.Set("Traceparent", caller)
	h.ServeHTTP(httptest.NewRecorder(), req)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/nowhere/at/all", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/metrics", nil)) // scrapes are not traced

	spans := rec.Ended()
	if len(spans) != 3 {
		t.Errorf("%d spans, want 3 (request, call, unmatched; no scrape)", len(spans))
	}
	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byName[s.Name()] = s
	}
	server, client1, unmatched := byName["GET /tours/{id}"], byName["call GET /payments"], byName[httpapi.Unmatched]
	if server == nil || client1 == nil || unmatched == nil {
		names := []string{}
		for _, s := range spans {
			names = append(names, s.Name())
		}
		t.Fatalf("spans %q; want the route pattern, the client call and %q", names, httpapi.Unmatched)
	}
	if server.SpanKind() != trace.SpanKindServer || server.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" ||
		server.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("server span %v does not continue the caller's trace", server.SpanContext())
	}
	if client1.SpanKind() != trace.SpanKindClient || client1.Parent().SpanID() != server.SpanContext().SpanID() {
		t.Errorf("client span is not the server span's child")
	}
	want := "00-" + client1.SpanContext().TraceID().String() + "-" + client1.SpanContext().SpanID().String() + "-01"
	if gotParent != want {
		t.Errorf("downstream got traceparent %q, want %q", gotParent, want)
	}
}

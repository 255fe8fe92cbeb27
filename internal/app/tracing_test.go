package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/telemetry"
)

// apiOwner maps the first segment of a route to the service serving it.
var apiOwner = map[string]string{
	"iam": "iam", "listings": "listing", "cart": "cart", "payments": "payment", "tours": "tour",
	"appointments": "appointment", "availability": "availability", "notifications": "notification",
}

// serviceOf says which service a span belongs to: token verification is
// "iam auth"; server spans belong to the API their route names; consumer
// spans to the consuming service; producer spans to the event's publisher.
func serviceOf(s sdktrace.ReadOnlySpan) string {
	attr := func(k attribute.Key) string {
		for _, kv := range s.Attributes() {
			if kv.Key == k {
				return kv.Value.Emit()
			}
		}
		return ""
	}
	switch s.SpanKind() {
	case trace.SpanKindServer:
		route := attr("http.route")
		_, path, _ := strings.Cut(route, " ")
		first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		return apiOwner[first]
	case trace.SpanKindConsumer:
		return attr("messaging.consumer.group.name")
	case trace.SpanKindProducer:
		svc, _ := bus.ServiceOf(attr("cloudevents.event_type"))
		return svc
	}
	if s.Name() == "iam auth verify" {
		return "iam auth"
	}
	return ""
}

// TestBookingTrace (must show 1): the trace that starts at POST
// /cart/checkout follows the booking through HTTP calls and events into
// every service, and every span hangs under a recorded parent.
func TestBookingTrace(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	logs := &lockedBuffer{}
	log := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(logs, nil)))
	bookOnce(t, backends(t)["embedded"], log, app.WithTracerProvider(tp))

	want := []string{"iam auth", "cart", "payment", "tour", "appointment", "availability", "notification"}
	var (
		spans  []sdktrace.ReadOnlySpan
		byID   map[trace.SpanID]sdktrace.ReadOnlySpan
		seen   map[string]bool
		root   sdktrace.ReadOnlySpan
		report string
	)
	// Spans are recorded when they end, a little after the effects the
	// booking waited for; wait until every service is in the trace.
	deadline := time.Now().Add(10 * time.Second)
	for {
		root, spans, byID, seen = nil, nil, map[trace.SpanID]sdktrace.ReadOnlySpan{}, map[string]bool{}
		for _, s := range rec.Ended() {
			if s.Name() == "POST /cart/checkout" && !s.Parent().IsValid() {
				root = s
			}
		}
		if root != nil {
			for _, s := range rec.Ended() {
				if s.SpanContext().TraceID() == root.SpanContext().TraceID() {
					spans = append(spans, s)
					byID[s.SpanContext().SpanID()] = s
					seen[serviceOf(s)] = true
				}
			}
		}
		missing := slices.DeleteFunc(slices.Clone(want), func(s string) bool { return seen[s] })
		if root != nil && len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("root found: %v; services missing from the checkout trace: %v\n%s", root != nil, missing, tree(spans, byID))
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
	report = tree(spans, byID)

	// Connected: one root, every other span's parent was recorded in the
	// same trace.
	for _, s := range spans {
		if s == root {
			continue
		}
		if !s.Parent().IsValid() {
			t.Errorf("span %q is a second root of the trace", s.Name())
			continue
		}
		if _, ok := byID[s.Parent().SpanID()]; !ok {
			t.Errorf("span %q (%s) has parent %s, which was not recorded", s.Name(), serviceOf(s), s.Parent().SpanID())
		}
	}
	// The links that carry the saga across services.
	parentOf := func(s sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan { return byID[s.Parent().SpanID()] }
	find := func(name string) sdktrace.ReadOnlySpan {
		for _, s := range spans {
			if s.Name() == name {
				return s
			}
		}
		t.Fatalf("no span %q in the trace:\n%s", name, report)
		return nil
	}
	ancestor := func(s, of sdktrace.ReadOnlySpan) bool {
		for p := parentOf(s); p != nil; p = parentOf(p) {
			if p == of {
				return true
			}
		}
		return false
	}
	if p := parentOf(find("iam auth verify")); p == nil || p.SpanKind() != trace.SpanKindServer {
		t.Errorf("token verification is not under a server span")
	}
	if pay := find("POST /payments"); !ancestor(pay, root) || parentOf(pay).SpanKind() != trace.SpanKindClient {
		t.Errorf("POST /payments is not a call made under the checkout:\n%s", report)
	}
	for _, hop := range []struct{ consumer, typ string }{
		{"tour", events.TypePaymentSucceeded},
		{"appointment", events.TypeTourCreated},
		{"tour", events.TypeAppointmentScheduled},
		{"notification", events.TypeTourScheduled},
	} {
		c := find(hop.consumer + " process " + hop.typ)
		if p := parentOf(c); p == nil || p.Name() != "produce "+hop.typ || p.SpanKind() != trace.SpanKindProducer {
			t.Errorf("%s handling %s is not under the producer span of that event", hop.consumer, hop.typ)
		}
	}
	if t.Failed() {
		t.Logf("trace:\n%s", report)
	}

	// The logs join the trace: the checkout's request log carries the
	// root span's ids, and a handler's log deep in the saga the same trace.
	rootTrace, rootSpan := root.SpanContext().TraceID().String(), root.SpanContext().SpanID().String()
	var requestLogged, assignLogged bool
	for _, line := range strings.Split(logs.String(), "\n") {
		var r map[string]any
		if json.Unmarshal([]byte(line), &r) != nil {
			continue
		}
		switch {
		case r["msg"] == "http request" && r["route"] == "POST /cart/checkout":
			requestLogged = true
			if r["trace_id"] != rootTrace || r["span_id"] != rootSpan {
				t.Errorf("checkout request log has trace %v span %v, want %s %s", r["trace_id"], r["span_id"], rootTrace, rootSpan)
			}
		case r["msg"] == "realtor assigned":
			assignLogged = true
			if r["trace_id"] != rootTrace {
				t.Errorf("appointment's log has trace %v, want %s", r["trace_id"], rootTrace)
			}
		}
	}
	if !requestLogged || !assignLogged {
		t.Errorf("log lines missing: checkout request %v, realtor assigned %v", requestLogged, assignLogged)
	}
}

// lockedBuffer is a log sink many goroutines write to.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tree renders spans as an indented tree, for failure messages.
func tree(spans []sdktrace.ReadOnlySpan, byID map[trace.SpanID]sdktrace.ReadOnlySpan) string {
	children := map[trace.SpanID][]sdktrace.ReadOnlySpan{}
	var roots []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if _, ok := byID[s.Parent().SpanID()]; s.Parent().IsValid() && ok {
			children[s.Parent().SpanID()] = append(children[s.Parent().SpanID()], s)
		} else {
			roots = append(roots, s)
		}
	}
	var b strings.Builder
	var walk func(s sdktrace.ReadOnlySpan, depth int)
	walk = func(s sdktrace.ReadOnlySpan, depth int) {
		fmt.Fprintf(&b, "%s%s [%s %s]\n", strings.Repeat("  ", depth), s.Name(), s.SpanKind(), serviceOf(s))
		kids := children[s.SpanContext().SpanID()]
		sort.Slice(kids, func(i, j int) bool { return kids[i].StartTime().Before(kids[j].StartTime()) })
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return b.String()
}

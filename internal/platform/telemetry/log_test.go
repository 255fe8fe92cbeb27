package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/openhouse/openhouse/internal/platform/telemetry"
)

func TestLogHandlerAddsTraceIDs(t *testing.T) {
	traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	spanID, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	traced := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled}))

	for _, tc := range []struct {
		name     string
		log      func(l *slog.Logger)
		want     map[string]any // top-level keys and values
		wantNone bool
	}{
		{name: "with a span", log: func(l *slog.Logger) { l.InfoContext(traced, "hello", "tour_id", "t1") },
			want: map[string]any{"trace_id": traceID.String(), "span_id": spanID.String(), "tour_id": "t1", "msg": "hello"}},
		{name: "logger attrs kept", log: func(l *slog.Logger) { l.With("service", "tour").InfoContext(traced, "hello") },
			want: map[string]any{"trace_id": traceID.String(), "service": "tour"}},
		{name: "under a group the ids stay top level", log: func(l *slog.Logger) {
			l.With("service", "tour").WithGroup("req").With("id", "r1").InfoContext(traced, "hello", "k", "v")
		}, want: map[string]any{"trace_id": traceID.String(), "span_id": spanID.String(), "service": "tour",
			"req": map[string]any{"id": "r1", "k": "v"}}},
		{name: "without a context", log: func(l *slog.Logger) { l.Info("hello") }, wantNone: true},
		{name: "context without a span", log: func(l *slog.Logger) { l.InfoContext(context.Background(), "hello") }, wantNone: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tc.log(slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(&buf, nil))))
			var got map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("%v: %s", err, buf.String())
			}
			if tc.wantNone {
				if _, ok := got["trace_id"]; ok {
					t.Fatalf("trace_id in %s", buf.String())
				}
				return
			}
			for k, v := range tc.want {
				g, _ := json.Marshal(got[k])
				w, _ := json.Marshal(v)
				if !bytes.Equal(g, w) {
					t.Errorf("%s = %s, want %s (record %s)", k, g, w, buf.String())
				}
			}
		})
	}
}

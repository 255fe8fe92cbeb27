package telemetry

import (
	"context"
	"fmt"
	"os"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// EnvOTLPEndpoint is the standard OpenTelemetry variable naming the
// collector; traces are exported only when it is set.
const EnvOTLPEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT"

// Propagator is how trace context crosses process boundaries everywhere in
// openhouse: W3C traceparent/tracestate, in HTTP headers and in the
// CloudEvents envelope.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// TracerProviderFromEnv returns the process's tracer provider: an SDK
// provider exporting over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set
// (the exporter reads the other OTEL_EXPORTER_OTLP_* variables itself), a
// no-op one otherwise. shutdown flushes the spans still buffered; call it
// once, at exit.
func TracerProviderFromEnv(ctx context.Context, service string) (tp trace.TracerProvider, shutdown func(context.Context) error, err error) {
	if os.Getenv(EnvOTLPEndpoint) == "" {
		return noop.NewTracerProvider(), func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: otlp trace exporter: %w", EnvOTLPEndpoint, err)
	}
	sdk := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service))),
	)
	return sdk, sdk.Shutdown, nil
}

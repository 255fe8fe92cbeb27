package telemetry

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// LogHandler wraps a slog.Handler so that every record logged with a
// context carrying a span (InfoContext, ErrorContext, ...) gets the trace_id
// and span_id of that span, joining logs to traces. Records logged without
// a context, or outside any span, pass through unchanged.
//
// The ids are added as top-level attributes, also under a logger's
// WithGroup: a log pipeline finds them in one place.
type LogHandler struct {
	inner  slog.Handler
	groups []groupOrAttrs // WithGroup/WithAttrs applied after the ids
	base   slog.Handler   // inner before any WithGroup, to add the ids at top level
}

// groupOrAttrs is one WithGroup or WithAttrs call, replayed in order.
type groupOrAttrs struct {
	group string
	attrs []slog.Attr
}

// NewLogHandler wraps h.
func NewLogHandler(h slog.Handler) *LogHandler { return &LogHandler{inner: h, base: h} }

// Enabled reports whether the wrapped handler handles level.
func (h *LogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// Handle adds the span's ids to r and passes it on.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return h.inner.Handle(ctx, r)
	}
	ids := []slog.Attr{slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String())}
	if len(h.groups) == 0 {
		r = r.Clone()
		r.AddAttrs(ids...)
		return h.inner.Handle(ctx, r)
	}
	// Under a group: put the ids on the top level, then replay the groups.
	inner := h.base.WithAttrs(ids)
	for _, g := range h.groups {
		if g.group != "" {
			inner = inner.WithGroup(g.group)
		} else {
			inner = inner.WithAttrs(g.attrs)
		}
	}
	return inner.Handle(ctx, r)
}

// WithAttrs returns a handler whose records carry attrs too.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	out := &LogHandler{inner: h.inner.WithAttrs(attrs), base: h.base, groups: h.groups}
	if len(h.groups) == 0 {
		out.base = out.inner // no group yet: the attrs are top level too
	} else {
		out.groups = append(append([]groupOrAttrs(nil), h.groups...), groupOrAttrs{attrs: attrs})
	}
	return out
}

// WithGroup returns a handler that nests later attributes under name.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &LogHandler{inner: h.inner.WithGroup(name), base: h.base,
		groups: append(append([]groupOrAttrs(nil), h.groups...), groupOrAttrs{group: name})}
}

package bus

import "context"

// Filter lets through only the events that keep accepts; the others are
// acknowledged without being handled (EventBridge pipe filtering).
func Filter(keep func(Event) bool) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, ev Event) error {
			if !keep(ev) {
				return nil
			}
			return next(ctx, ev)
		}
	}
}

// Transform rewrites an event before the handler sees it; fn may also enrich
// it with data fetched from elsewhere (EventBridge pipe enrichment). An error
// from fn counts as a failed attempt and is retried.
func Transform(fn func(ctx context.Context, ev Event) (Event, error)) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, ev Event) error {
			out, err := fn(ctx, ev)
			if err != nil {
				return err
			}
			return next(ctx, out)
		}
	}
}

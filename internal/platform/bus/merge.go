package bus

import (
	"context"
	"fmt"
)

// Merge joins the subscriptions that share a consumer and a stream into
// one, so that parts of one service built apart (each with its own
// handlers) still consume each stream through one durable consumer: two
// subscriptions with one durable name would share its events between them,
// each seeing only some. Order is kept (a merged subscription stands where
// its first part stood). A type several parts handle gets one handler that
// runs theirs in the order of the parts and fails at the first that fails;
// the redelivery then runs every one again, so each must apply an event
// once (as every handler must). A part with its own delivery settings
// (MaxAttempts, Backoff, HandlerTimeout, Concurrency) is an error: one of
// them would silently lose.
func Merge(subs ...Subscription) ([]Subscription, error) {
	type key struct{ consumer, stream string }
	var out []Subscription
	at := map[key]int{}
	for _, s := range subs {
		k := key{s.Consumer, s.Stream}
		i, ok := at[k]
		if !ok {
			at[k] = len(out)
			handlers := make(map[string]Handler, len(s.Handlers))
			for typ, h := range s.Handlers {
				handlers[typ] = h
			}
			s.Handlers = handlers
			out = append(out, s)
			continue
		}
		if s.MaxAttempts != 0 || s.Backoff != nil || s.HandlerTimeout != 0 || s.Concurrency != 0 ||
			out[i].MaxAttempts != 0 || out[i].Backoff != nil || out[i].HandlerTimeout != 0 || out[i].Concurrency != 0 {
			return nil, fmt.Errorf("bus: merge %s on %s: parts with their own delivery settings cannot share a consumer", s.Consumer, s.Stream)
		}
		for typ, h := range s.Handlers {
			if first, both := out[i].Handlers[typ]; both {
				h = inTurn(first, h)
			}
			out[i].Handlers[typ] = h
		}
	}
	return out, nil
}

// inTurn runs first, then second unless first failed.
func inTurn(first, second Handler) Handler {
	return func(ctx context.Context, ev Event) error {
		if err := first(ctx, ev); err != nil {
			return err
		}
		return second(ctx, ev)
	}
}

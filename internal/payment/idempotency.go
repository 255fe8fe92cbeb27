package payment

import (
	"errors"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/platform/fault"
	"github.com/openhouse/openhouse/internal/platform/idempotency"
)

// Idempotency is the shared mechanism's (internal/platform/idempotency):
// a request that carries a key is recorded with a hash of its body, with
// the pending payment (or refund) it makes, before any money moves; a
// repeat with the same key and body gets the recorded answer byte for
// byte (Idempotent-Replayed: true) and moves nothing; the same key with
// another body is refused (422); a repeat while the first is in flight
// waits for it up to Config.InFlightWait and then gets 409. Requests
// refused before any work began (malformed, invalid) record nothing.
// Records are kept at least Config.KeyRetention (24 h or more); in-flight
// ones are never swept, since Reconcile resumes their payment.
//
// Keys are scoped: a charge key to its caller ("charge:service:cart"), a
// refund key to its payment ("refund:<payment id>").

// KeyRecord is a stored idempotency key.
type keyRecord = idempotency.Record

// recordedAnswer is an HTTP answer, recorded for replay.
type recordedAnswer = idempotency.Answer

// Errors of the idempotency rules: the shared ones, told to clients in the
// payment API's words (keyFailure).
var (
	// errKeyReused: the key was used before with another request body.
	errKeyReused = fault.Unprocessable("this Idempotency-Key was already used with a different request")
	// errKeyInFlight: the first request with the key is still running.
	errKeyInFlight = fault.Conflict("a request with this Idempotency-Key is still in progress; retry later").
			WithRetryAfter(time.Second)
)

// keyFailure is err wrapped in the payment API's own error as well when it
// is one of the shared mechanism's refusals.
func keyFailure(err error) error {
	switch {
	case errors.Is(err, idempotency.ErrKeyReused):
		return fmt.Errorf("%w: %w", errKeyReused, err)
	case errors.Is(err, idempotency.ErrInFlight):
		return fmt.Errorf("%w: %w", errKeyInFlight, err)
	}
	return err
}

// Package idempotency is the one Idempotency-Key mechanism of openhouse:
// the cart's checkouts and the payment service's charges and refunds use
// it, each on a table of its own in its own database.
//
// The contract, Stripe's semantics:
//
//   - A key is 1 to MaxKeyLen visible ASCII characters (ValidKey); keys
//     are scoped by the service (a customer's checkouts, a caller's
//     charges, a payment's refunds), so two callers never share one.
//   - The first request with a key is recorded (Record: the hash of its
//     meaning, the resource it makes, a lease) before any effect, in the
//     same transaction as that effect's first row.
//   - The same key and the same request again get the first answer
//     (status, body, Content-Type; Location derived from the resource)
//     marked Idempotent-Replayed, and cause nothing: whenever, however
//     often, also after a crash.
//   - The same key with another request: ErrKeyReused (422).
//   - The same key while the first request is in flight (its lease runs):
//     the repeat waits for the answer (Waiter: on a lock in this process,
//     by polling the record across processes) and gets ErrInFlight (409)
//     after the wait. Past the lease the first request is presumed dead
//     and the repeat takes the key over and resumes its work, which each
//     service makes safe to do twice.
//   - A request refused before any work (malformed, breaking a rule)
//     records nothing and uses up nothing.
//   - Answered records are swept after the service's retention (Prune),
//     by its background worker on its injected clock.
//
// Time is always the service's injected clock (leases, waits, polls,
// sweeps), so tests move time instead of sleeping. The table's schema is
// this package's (Migrate); the SQL of both engines is in table.go.
package idempotency

package payment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"time"
)

// Idempotency follows Stripe's semantics. A request that carries a key is
// recorded with a hash of its body before any money moves. A repeat with
// the same key and body gets the recorded answer, byte for byte, and moves
// nothing; the same key with another body is refused (422). A repeat that
// arrives while the first is still in flight waits for it (in this process
// on a lock, across processes by polling the record), up to
// Config.InFlightWait, and then gets 409. Requests refused before any work
// began (malformed, invalid) record nothing, as with Stripe. Records are
// kept at least Config.KeyRetention (24 h or more).
//
// Keys are scoped: a charge key to its caller ("charge:service:cart"), a
// refund key to its payment ("refund:<payment id>").

// MaxKeyLen is the longest Idempotency-Key accepted.
const MaxKeyLen = 255

// ValidKey reports whether k is 1 to MaxKeyLen printable ASCII characters.
func ValidKey(k string) bool {
	if k == "" || len(k) > MaxKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// Errors of the idempotency rules.
var (
	// ErrKeyReused: the key was used before with another request body.
	ErrKeyReused = errors.New("the idempotency key was used with another request")
	// ErrKeyInFlight: the first request with the key is still running.
	ErrKeyInFlight = errors.New("a request with this idempotency key is still in progress")
)

// KeyRecord is a stored idempotency key.
type KeyRecord struct {
	Scope       string
	Key         string
	RequestHash string
	// ResourceID is the payment (or refund) the first request created.
	ResourceID string
	// LeaseUntil: until then the request that holds the key is presumed
	// alive; after it, a repeat may take the key over and resume. Zero
	// once the answer is recorded.
	LeaseUntil  time.Time
	Answer      *Answer // nil until the first request finished
	CreatedAt   time.Time
	CompletedAt time.Time
}

// Answer is an HTTP answer recorded for replay.
type Answer struct {
	Status      int
	ContentType string
	Body        []byte
	// Location is sent with 201 answers; not stored, derived from the
	// resource.
	Location string
	// Replayed marks an answer read back from the record.
	Replayed bool
}

// requestHash is the hash of a request's meaning: its decoded value
// re-encoded, so that whitespace or field order never make two equal
// requests differ.
func requestHash(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// keyLocks serialises the requests of one process that carry the same key,
// so that a repeat waits for the first instead of polling the database.
type keyLocks struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	ch    chan struct{} // holds a token while the key is free
	users int
}

// lock waits until the key is free, ctx is done or timeout fires; unlock
// must be called exactly once after a nil error.
func (k *keyLocks) lock(ctx context.Context, key string, timeout <-chan time.Time) (unlock func(), err error) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{ch: make(chan struct{}, 1)}
		l.ch <- struct{}{}
		k.locks[key] = l
	}
	l.users++
	k.mu.Unlock()

	release := func() {
		k.mu.Lock()
		l.users--
		if l.users == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
	select {
	case <-l.ch:
		return func() {
			l.ch <- struct{}{}
			release()
		}, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	case <-timeout:
		release()
		return nil, ErrKeyInFlight
	}
}

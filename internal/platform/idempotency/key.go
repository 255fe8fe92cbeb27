package idempotency

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/openhouse/openhouse/internal/platform/fault"
)

// MaxKeyLen is the longest Idempotency-Key accepted.
const MaxKeyLen = 255

// ReplayedHeader marks an answer read back from a record.
const ReplayedHeader = "Idempotent-Replayed"

// ValidKey reports whether k is 1 to MaxKeyLen visible ASCII characters
// (0x21 to 0x7e: no spaces or control characters), the stricter of the
// two rules the cart and the payment service had before sharing this one.
func ValidKey(k string) bool {
	if k == "" || len(k) > MaxKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// Errors of the contract, answered 400, 422 and 409 with the error's text
// (a service may tell its clients in words of its own by wrapping them in
// its own fault).
var (
	ErrBadKey    = fault.BadRequest("an Idempotency-Key of 1 to 255 visible ASCII characters is required").WithWholeText()
	ErrKeyReused = fault.Unprocessable("this Idempotency-Key was used with a different request").WithWholeText()
	ErrInFlight  = fault.Conflict("a request with this Idempotency-Key is still in progress").WithWholeText()
)

// Hash is the hash of a request's meaning: v (the decoded, normalised
// request) encoded as JSON, so whitespace or field order never make two
// equal requests differ. Normalise before hashing what JSON keeps but the
// request does not mean (a time's offset, say).
func Hash(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

package notification

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// phone is a user's mobile number for SMS. It receives nothing until the
// user proves it is theirs with the code sent to it, and nothing after the
// user texts STOP.
type phone struct {
	UserID     string
	Number     string // E.164
	VerifiedAt time.Time
	OptedOutAt time.Time
	// CodeHash is the pending one-time code, hashed with the user and the
	// number; CodeExpires ends it, Attempts counts wrong guesses.
	CodeHash    string
	CodeExpires time.Time
	Attempts    int
	UpdatedAt   time.Time
}

// Verification code rules.
const (
	codeLifetime    = 10 * time.Minute
	maxCodeAttempts = 5
)

// Errors of phone verification, answered to clients by their kind.
var (
	errNoPhone   = fault.NotFound("no phone number registered").WithDetail("you have no phone number registered")
	errWrongCode = fault.Invalid("wrong or expired code",
		fault.FieldError{Field: "code", Message: "is wrong or has expired"})
	errTooManyTries = fault.TooManyRequests("too many wrong codes; ask for a new one")
)

// normalizePhone reads a number as a user types it and returns it in
// E.164 ("+13125550123"). Without a leading + it is read as a US number.
func normalizePhone(raw string) (string, error) {
	invalid := fault.ValidationError{{Field: "number", Message: "must be a valid mobile number, with its country code (+1 312 555 0123)"}}
	if len(raw) > 32 {
		return "", invalid
	}
	n, err := phonenumbers.Parse(raw, "US")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", invalid
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// Usable reports whether SMS may be sent to the phone.
func (p phone) Usable() bool {
	return p.Number != "" && !p.VerifiedAt.IsZero() && p.OptedOutAt.IsZero()
}

// NewCode makes a six-digit one-time code for the phone and returns it; the
// phone keeps only its hash.
func (p *phone) NewCode(now time.Time) (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	p.CodeHash, p.CodeExpires, p.Attempts = codeHash(p.UserID, p.Number, code), now.Add(codeLifetime).UTC(), 0
	return code, nil
}

func codeHash(userID, number, code string) string {
	m := hmac.New(sha256.New, []byte(userID+"\x00"+number))
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a code: right and in time verifies the phone (and opts it
// back in); wrong counts an attempt.
func (p *phone) Verify(code string, now time.Time) error {
	switch {
	case p.CodeHash == "":
		return errWrongCode
	case p.Attempts >= maxCodeAttempts:
		return errTooManyTries
	case now.After(p.CodeExpires) || !hmac.Equal([]byte(codeHash(p.UserID, p.Number, code)), []byte(p.CodeHash)):
		p.Attempts++
		return errWrongCode
	}
	p.VerifiedAt, p.OptedOutAt, p.CodeHash, p.Attempts = now.UTC(), time.Time{}, "", 0
	return nil
}

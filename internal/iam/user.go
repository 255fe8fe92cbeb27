// Package iam owns accounts: registration, sign-in, roles, verification and
// realtor profiles. This file is the domain: types and rules, no I/O.
package iam

import (
	"github.com/openhouse/openhouse/internal/platform/fault"
	"github.com/openhouse/openhouse/internal/platform/store"

	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openhouse/openhouse/internal/platform/usertext"
)

// Role is what a user may do. Admins are never self-registered.
type role string

// The roles of the platform.
const (
	roleCustomer role = "customer"
	roleProvider role = "provider"
	roleRealtor  role = "realtor"
	roleAdmin    role = "admin"
)

// Status says whether an account may sign in.
type status string

// Account statuses.
const (
	statusActive    status = "active"
	statusSuspended status = "suspended"
)

// userAccount is an account.
type userAccount struct {
	ID           string
	Email        string // lower-cased, unique
	Name         string
	Role         role
	Status       status
	Verified     bool
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// TokensValidFrom voids the access tokens issued before it: the
	// instant of the last suspension or reactivation (zero: never). Every
	// verifier learns it from the status event; iam dates new tokens after
	// it (auth.Issuer.IssueAfter).
	TokensValidFrom time.Time
}

// SetStatus suspends or reactivates u at now. Either way every access token
// issued before now is void from then on, so the tokens a suspension ended
// stay dead after the reactivation (and a token a sign-in raced past the
// suspension dies with them). It reports whether the status changed. The
// instant is kept to the microsecond, as PostgreSQL stores it, so that the
// event verifiers read and the row iam dates new tokens by agree.
func (u *userAccount) SetStatus(s status, now time.Time) bool {
	if s == u.Status {
		return false
	}
	u.Status, u.TokensValidFrom = s, now.UTC().Truncate(time.Microsecond)
	return true
}

// Password length bounds, after NIST SP 800-63B: at least 8, and long
// passphrases welcome (no composition rules).
const (
	minPasswordLen = 8
	maxPasswordLen = 128
)

// ErrEmailTaken is returned when an email is already registered.
var errEmailTaken = fault.Conflict("email already registered").WithDetail("this email is already registered")

// errNoSuchUser is what clients are told of a user, or a realtor's
// profile, that does not exist or that the caller must not learn of.
var errNoSuchUser = fault.NotFound("no such user")

// noSuchUser is the not-found error of what: store.ErrNotFound to callers
// (errors.Is), errNoSuchUser to clients.
func noSuchUser(what string) error {
	return fmt.Errorf("%s: %w: %w", what, errNoSuchUser, store.ErrNotFound)
}

// Registration is what a person gives to open an account.
type registration struct {
	Email    string
	Password string
	Name     string
	Role     role
}

// NormalizeEmail is the form in which emails are stored and compared.
func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Validate checks a registration against the rules of the platform.
func (r registration) Validate() error {
	var errs fault.ValidationError
	email := normalizeEmail(r.Email)
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || len(email) > 254 {
		errs = append(errs, fault.FieldError{Field: "email", Message: "must be a valid email address"})
	} else if msg := usertext.Check(email, usertext.Line); msg != "" {
		// net/mail takes any UTF-8 in the local part (RFC 6532), the
		// characters that reorder or hide text included.
		errs = append(errs, fault.FieldError{Field: "email", Message: msg})
	}
	if n := utf8.RuneCountInString(r.Password); n < minPasswordLen || n > maxPasswordLen {
		errs = append(errs, fault.FieldError{Field: "password", Message: "must be 8 to 128 characters"})
	} else if msg := usertext.Check(r.Password, usertext.Line); msg != "" {
		// Every printable character is welcome in a password (NIST SP
		// 800-63B); control and formatting characters cannot be typed.
		errs = append(errs, fault.FieldError{Field: "password", Message: msg})
	} else if msg := checkPasswordStrength(r.Password, r.Email, r.Name); msg != "" {
		errs = append(errs, fault.FieldError{Field: "password", Message: msg})
	}
	if msg := checkName(r.Name); msg != "" {
		errs = append(errs, fault.FieldError{Field: "name", Message: msg})
	}
	switch r.Role {
	case roleCustomer, roleProvider, roleRealtor:
	default:
		errs = append(errs, fault.FieldError{Field: "role", Message: "must be customer, provider or realtor"})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// MaxNameLen bounds a user's name, in characters of its normalised form.
const maxNameLen = 100

// normalizeName is the form in which names are stored: the platform's text
// policy (internal/platform/usertext), one line.
func normalizeName(s string) string { return usertext.Normalize(s, usertext.Line) }

// checkName says what is wrong with a name as given, or "".
func checkName(s string) string {
	name := normalizeName(s)
	if n := utf8.RuneCountInString(name); n < 1 || n > maxNameLen {
		return fmt.Sprintf("must be 1 to %d characters", maxNameLen)
	}
	return usertext.Check(name, usertext.Line)
}

// NewUser opens an account from a valid registration. Customers start
// verified; providers and realtors wait for an admin.
func newUser(id string, r registration, passwordHash string, now time.Time) userAccount {
	return userAccount{
		ID:           id,
		Email:        normalizeEmail(r.Email),
		Name:         normalizeName(r.Name),
		Role:         r.Role,
		Status:       statusActive,
		Verified:     r.Role == roleCustomer || r.Role == roleAdmin,
		PasswordHash: passwordHash,
		CreatedAt:    now.UTC(),
		UpdatedAt:    now.UTC(),
	}
}

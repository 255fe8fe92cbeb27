package listing

import (
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/openhouse/openhouse/internal/platform/fault"
	"github.com/openhouse/openhouse/internal/platform/usertext"
)

// Access is how a realtor gets into a home: instructions and a lockbox or
// door code. It is write-only in the API (GET says only whether it is
// set), sealed at rest, and never put in an event, a log line or an audit
// entry; the tour service reads it for the assigned realtor inside the
// window before their visit (GET /tours/{id}/access).
type Access struct {
	Instructions string `json:"instructions"`
	Code         string `json:"code"`
}

// Bounds on access, in characters.
const (
	MaxAccessInstructionsLen = 2000
	MaxAccessCodeLen         = 64
)

// Normalized returns a with its texts in stored form.
func (a Access) Normalized() Access {
	return Access{Instructions: usertext.Normalize(a.Instructions, usertext.Multiline), Code: usertext.Normalize(a.Code, usertext.Line)}
}

// Empty reports whether a says nothing: setting it removes the access.
func (a Access) Empty() bool { return a.Instructions == "" && a.Code == "" }

// Validate checks normalized access; a ValidationError names the fields
// (access.instructions, access.code) without repeating their values.
func (a Access) Validate() error {
	var errs ValidationError
	check := func(field, v string, max int, kind usertext.Kind) {
		if utf8.RuneCountInString(v) > max {
			errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf("must be at most %d characters", max)})
		} else if msg := usertext.Check(v, kind); msg != "" {
			errs = append(errs, FieldError{Field: field, Message: msg})
		}
	}
	check("access.instructions", a.Instructions, MaxAccessInstructionsLen, usertext.Multiline)
	check("access.code", a.Code, MaxAccessCodeLen, usertext.Line)
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Sealer encrypts access at rest (seal.Box), bound to the listing id.
type Sealer interface {
	Seal(owner string, plain []byte) ([]byte, error)
	Open(owner string, sealed []byte) ([]byte, error)
}

// ErrNoAccess: the home has no access set. Clients are told what
// ErrNotFound tells them, so they cannot learn that the listing exists.
var ErrNoAccess = fault.NotFound("no access set for this listing").WithDetail("no listing with this id")

// SetAccess sets (or, with an empty a, removes) the access of the
// provider's own listing id.
func (s *Service) SetAccess(ctx context.Context, providerID, id string, a Access) error {
	a = a.Normalized()
	if err := a.Validate(); err != nil {
		return err
	}
	var sealed []byte
	if !a.Empty() {
		plain, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if sealed, err = s.cfg.Sealer.Seal(id, plain); err != nil {
			return fmt.Errorf("seal access of listing %s: %w", id, err)
		}
	}
	err := s.store.PutAccess(ctx, providerID, id, sealed, s.cfg.Clock.Now(), func(p Provider, l Listing) error { return CheckWrite(p, &l) })
	if err != nil {
		return err
	}
	// Which listing, never what: the access itself stays out of logs.
	s.cfg.Log.InfoContext(ctx, "listing access set", "listing_id", id, "removed", a.Empty())
	return nil
}

// Access opens the access of a visible listing; ErrNoAccess when none is
// set, ErrNotFound when the listing is not visible.
func (s *Service) Access(ctx context.Context, id string) (Access, error) {
	if _, err := s.store.VisibleListing(ctx, id); err != nil {
		return Access{}, err
	}
	sealed, err := s.store.Access(ctx, id)
	if err != nil {
		return Access{}, err
	}
	plain, err := s.cfg.Sealer.Open(id, sealed)
	if err != nil {
		return Access{}, fmt.Errorf("open access of listing %s: %w", id, err)
	}
	var a Access
	if err := json.Unmarshal(plain, &a); err != nil {
		return Access{}, fmt.Errorf("read access of listing %s: %w", id, err)
	}
	return a, nil
}

// AccessSet reports which of ids have access set.
func (s *Service) AccessSet(ctx context.Context, ids ...string) (map[string]bool, error) {
	return s.store.AccessSet(ctx, ids)
}

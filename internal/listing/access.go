package listing

import (
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/openhouse/openhouse/internal/platform/fault"
	"github.com/openhouse/openhouse/internal/platform/usertext"
)

// access is how a realtor gets into a home: instructions and a lockbox or
// door code. It is write-only in the API (GET says only whether it is
// set), sealed at rest, and never put in an event, a log line or an audit
// entry; the tour service reads it for the assigned realtor inside the
// window before their visit (GET /tours/{id}/access).
type access struct {
	Instructions string `json:"instructions"`
	Code         string `json:"code"`
}

// Bounds on access, in characters.
const (
	maxAccessInstructionsLen = 2000
	maxAccessCodeLen         = 64
)

// Normalized returns a with its texts in stored form.
func (a access) Normalized() access {
	return access{Instructions: usertext.Normalize(a.Instructions, usertext.Multiline), Code: usertext.Normalize(a.Code, usertext.Line)}
}

// Empty reports whether a says nothing: setting it removes the access.
func (a access) Empty() bool { return a.Instructions == "" && a.Code == "" }

// Validate checks normalized access; a validationError names the fields
// (access.instructions, access.code) without repeating their values.
func (a access) Validate() error {
	var errs validationError
	check := func(field, v string, max int, kind usertext.Kind) {
		if utf8.RuneCountInString(v) > max {
			errs = append(errs, fieldError{Field: field, Message: fmt.Sprintf("must be at most %d characters", max)})
		} else if msg := usertext.Check(v, kind); msg != "" {
			errs = append(errs, fieldError{Field: field, Message: msg})
		}
	}
	check("access.instructions", a.Instructions, maxAccessInstructionsLen, usertext.Multiline)
	check("access.code", a.Code, maxAccessCodeLen, usertext.Line)
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

// errNoAccess: the home has no access set. Clients are told what
// errNotFound tells them, so they cannot learn that the listing exists.
var errNoAccess = fault.NotFound("no access set for this listing").WithDetail("no listing with this id")

// SetAccess sets (or, with an empty a, removes) the access of the
// provider's own listing id.
func (s *Service) SetAccess(ctx context.Context, providerID, id string, a access) error {
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
	err := s.store.PutAccess(ctx, providerID, id, sealed, s.cfg.Clock.Now(), func(p provider, l listing) error { return checkWrite(p, &l) })
	if err != nil {
		return err
	}
	// Which listing, never what: the access itself stays out of logs.
	s.cfg.Log.InfoContext(ctx, "listing access set", "listing_id", id, "removed", a.Empty())
	return nil
}

// Access opens the access of a visible listing; errNoAccess when none is
// set, errNotFound when the listing is not visible.
func (s *Service) Access(ctx context.Context, id string) (access, error) {
	if _, err := s.store.VisibleListing(ctx, id); err != nil {
		return access{}, err
	}
	sealed, err := s.store.Access(ctx, id)
	if err != nil {
		return access{}, err
	}
	plain, err := s.cfg.Sealer.Open(id, sealed)
	if err != nil {
		return access{}, fmt.Errorf("open access of listing %s: %w", id, err)
	}
	var a access
	if err := json.Unmarshal(plain, &a); err != nil {
		return access{}, fmt.Errorf("read access of listing %s: %w", id, err)
	}
	return a, nil
}

// AccessSet reports which of ids have access set.
func (s *Service) AccessSet(ctx context.Context, ids ...string) (map[string]bool, error) {
	return s.store.AccessSet(ctx, ids)
}

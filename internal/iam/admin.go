package iam

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"context"
	"errors"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// AdminChange is what an admin may change on a user; nil stays as is.
type adminChange struct {
	Verified *bool
	Status   *status
}

// ErrNotAllowed refuses an admin change that breaks a rule.
var errNotAllowed = errors.New("change not allowed")

// AdminUpdate verifies or un-verifies a provider or realtor, and suspends
// or reactivates an account, announcing each change. Admins cannot
// suspend themselves (so the last admin cannot lock everyone out).
func (s *Service) AdminUpdate(ctx context.Context, adminID, userID string, c adminChange) (userAccount, error) {
	if c.Status != nil && *c.Status != statusActive && *c.Status != statusSuspended {
		return userAccount{}, fault.ValidationError{{Field: "status", Message: "must be active or suspended"}}
	}
	if c.Status != nil && *c.Status == statusSuspended && userID == adminID {
		return userAccount{}, fault.ValidationError{{Field: "status", Message: "you cannot suspend yourself"}}
	}
	now := s.cfg.Clock.Now()
	var profileChanged bool
	u, err := s.store.UpdateUser(ctx, userID, func(u *userAccount) ([]bus.Event, error) {
		var out []bus.Event
		if c.Verified != nil && *c.Verified != u.Verified {
			if u.Role != roleProvider && u.Role != roleRealtor {
				return nil, fault.ValidationError{{Field: "verified", Message: "only providers and realtors are verified by an admin"}}
			}
			u.Verified = *c.Verified
			ev, err := bus.NewEvent(ctx, events.TypeUserVerified, u.ID, events.UserVerified{
				UserID: u.ID, Role: string(u.Role), Verified: u.Verified, By: adminID, At: now.UTC()}, now)
			if err != nil {
				return nil, err
			}
			action := "user.verified"
			if !u.Verified {
				action = "user.unverified"
			}
			entry, err := auditUser(ctx, action, *u, verifiedState{!u.Verified}, verifiedState{u.Verified}, now)
			if err != nil {
				return nil, err
			}
			out = append(out, ev, entry)
			profileChanged = true
		}
		if before := u.Status; c.Status != nil && u.SetStatus(*c.Status, now) {
			ev, err := bus.NewEvent(ctx, events.TypeUserStatusChanged, u.ID, events.UserStatusChanged{
				UserID: u.ID, Role: string(u.Role), Status: string(u.Status), By: adminID, At: now.UTC(),
				TokensValidFrom: u.TokensValidFrom}, now)
			if err != nil {
				return nil, err
			}
			action := "user.suspended"
			if u.Status == statusActive {
				action = "user.reactivated"
			}
			entry, err := auditUser(ctx, action, *u, statusState{before}, statusState{u.Status}, now)
			if err != nil {
				return nil, err
			}
			out = append(out, ev, entry)
			profileChanged = true
		}
		if len(out) > 0 {
			u.UpdatedAt = now.UTC()
		}
		return out, nil
	})
	if err != nil {
		return u, err
	}
	if u.Status == statusSuspended {
		// Access tokens stop at once through the verifiers' revocation
		// check (and stay void after a reactivation: TokensValidFrom);
		// refresh tokens end here, so reactivating the account does not
		// bring old sessions back.
		if _, err := s.store.RevokeRefreshFamilies(ctx, u.ID, now); err != nil {
			return u, err
		}
	}
	if !profileChanged || u.Role != roleRealtor {
		return u, nil
	}
	// A realtor's verification and status are part of what availability
	// indexes: announce the whole profile too.
	u, _, err = s.store.UpdateProfile(ctx, userID, func(u *userAccount, p *realtorProfile) ([]bus.Event, error) {
		ev, err := profileEvent(ctx, *u, *p, now)
		return []bus.Event{ev}, err
	})
	return u, err
}

// GetUser returns a user to an admin, or a user to themselves; anyone
// else is told it does not exist.
func (s *Service) GetUser(ctx context.Context, callerID string, callerIsAdmin bool, id string) (userAccount, error) {
	if !callerIsAdmin && callerID != id {
		return userAccount{}, noSuchUser("user " + id)
	}
	return s.store.UserByID(ctx, id)
}

// ListUsers pages through users for admins.
func (s *Service) ListUsers(ctx context.Context, f userFilter, after userCursor, limit int) ([]userAccount, error) {
	return s.store.ListUsers(ctx, f, after, limit)
}

// RotateKeys starts signing with a new key; tokens signed with the old one
// stay valid until they expire. The rotation is audited (keys.rotated) by
// the key store, in the transaction that retires the old key.
func (s *Service) RotateKeys(ctx context.Context) error {
	return s.issuer.Rotate(withRotation(ctx, s.cfg.Clock.Now()))
}

package iam

import (
	"context"
	"time"

	"github.com/openhouse/openhouse/internal/platform/audit"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// The before and after of iam's audited admin actions on users: the field
// the action changed (the resource id names the user).
type (
	verifiedState struct {
		Verified bool `json:"verified"`
	}
	statusState struct {
		Status status `json:"status"`
	}
)

// auditUser is the audit event of an admin action on user u, to be stored
// with the change (UpdateUser's events commit with the user row).
func auditUser(ctx context.Context, action string, u userAccount, before, after any, now time.Time) (bus.Event, error) {
	return audit.Record(ctx, "iam", audit.Change{
		Action: action, ResourceType: "user", ResourceID: u.ID, Before: before, After: after,
	}, now)
}

// adminState is the after of an admin account's creation.
type adminState struct {
	Email  string `json:"email"`
	Role   role   `json:"role"`
	Status status `json:"status"`
}

// auditAdminCreated is the audit event of a new admin account: the most
// powerful grant there is, made at start-up (OPENHOUSE_ADMIN_EMAIL) or by
// `openhouse admin create`, so with no caller: iam itself is the actor.
func auditAdminCreated(ctx context.Context, u userAccount, now time.Time) (bus.Event, error) {
	return audit.Record(ctx, "iam", audit.Change{Action: "user.created", ResourceType: "user", ResourceID: u.ID,
		After: adminState{Email: u.Email, Role: u.Role, Status: u.Status}}, now)
}

// rotationKey carries a key rotation's audit through auth.Issuer.Rotate,
// which knows nothing of auditing, to the SQLKeyStore calls it makes.
type rotationKey struct{}

// rotation is what the key store learns of a rotation in progress: the new
// key's id from SaveKey, so that RetireKey, the step that completes the
// rotation, records it.
type rotation struct {
	newKeyID string
	at       time.Time // when the admin asked, the entry's time
}

// keyState is the before and after of a key rotation.
type keyState struct {
	CurrentKeyID  string     `json:"current_key_id"`
	RetiredKeyID  string     `json:"retired_key_id,omitempty"`
	RetiredKeyEnd *time.Time `json:"retired_key_valid_until,omitempty"`
}

func withRotation(ctx context.Context, at time.Time) context.Context {
	return context.WithValue(ctx, rotationKey{}, &rotation{at: at})
}

func rotationFrom(ctx context.Context) *rotation {
	r, _ := ctx.Value(rotationKey{}).(*rotation)
	return r
}

// RecordAdminAction records an admin action whose change lies outside iam's
// database, in iam's audit log: a dead-letter replay, which is a message on
// the bus. No transaction spans the bus and the database, so the caller
// acts first and records after it succeeded: an entry never describes an
// action that failed, and an action can go unrecorded only if this call
// fails (the caller then answers 500 and logs it).
func (s *Service) RecordAdminAction(ctx context.Context, c audit.Change) error {
	ev, err := audit.Record(ctx, "iam", c, s.cfg.Clock.Now())
	if err != nil {
		return err
	}
	return s.store.AddAudit(ctx, ev)
}

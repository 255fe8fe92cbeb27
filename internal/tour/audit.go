package tour

import (
	"context"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/audit"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// An admin cancelling or rescheduling someone's tour, or answering for a
// home's provider (approving or declining it), is audited
// (openhouse.tour.audit.recorded.v1); a customer changing their own tour
// is not an admin action, and the money side of any cancellation (the
// refund) is audited by payment. The entry is one of the events the
// tour's update commits with.

// tourState is a tour's before or after in an audit entry.
type tourState struct {
	Status       status        `json:"status"`
	ScheduledAt  time.Time     `json:"scheduled_at"`
	EndsAt       time.Time     `json:"ends_at"`
	RealtorID    string        `json:"realtor_id,omitempty"`
	CustomerID   string        `json:"customer_id"`
	CancelReason string        `json:"cancel_reason,omitempty"`
	Refund       *events.Money `json:"refund,omitempty"`
	// Approvals are where the providers of homes that need approval
	// stand, by listing id; a declined home has left.
	Approvals map[string]approval `json:"approvals,omitempty"`
}

func tourStateOf(t tour) tourState {
	st := tourState{Status: t.Status, ScheduledAt: t.ScheduledAt.UTC(), EndsAt: t.EndsAt.UTC(), RealtorID: t.RealtorID,
		CustomerID: t.CustomerID, CancelReason: t.CancelReason}
	if t.Refund.Amount != 0 {
		refund := t.Refund
		st.Refund = &refund
	}
	for _, s := range t.Stops {
		if s.Approval != approvalNone {
			if st.Approvals == nil {
				st.Approvals = map[string]approval{}
			}
			st.Approvals[s.ListingID] = s.Approval
		}
	}
	return st
}

// byAdmin reports whether the caller in ctx is an admin.
func byAdmin(ctx context.Context) bool {
	p, ok := auth.PrincipalFrom(ctx)
	return ok && p.Role == auth.RoleAdmin
}

// adminAudit is the audit event of an admin's action on a tour, or nothing
// when the caller is not an admin.
func adminAudit(ctx context.Context, action string, before, after tour, now time.Time) ([]bus.Event, error) {
	if !byAdmin(ctx) {
		return nil, nil
	}
	ev, err := audit.Record(ctx, "tour", audit.Change{Action: action, ResourceType: "tour", ResourceID: after.ID,
		Before: tourStateOf(before), After: tourStateOf(after)}, now)
	if err != nil {
		return nil, err
	}
	return []bus.Event{ev}, nil
}

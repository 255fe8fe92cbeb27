package tour

import (
	"errors"
	"testing"
	"time"
)

// awaiting is a paid two-home tour (Loop then Wicker Park, $40 each) whose
// homes both need their providers' approval, requested at now.
func awaiting(t *testing.T, now time.Time) tour {
	t.Helper()
	tr := tour{ID: "t1", Stops: stops(loop, wicker), TimeZone: "America/Chicago", Status: statusPending, Paid: usd(8000), Version: 1}
	for i := range tr.Stops {
		tr.Stops[i].Fee, tr.Stops[i].Approval, tr.Stops[i].ProviderID = usd(4000), approvalPending, "prov"
	}
	if err := tr.Plan(time.Date(2026, 11, 27, 10, 0, 0, 0, chicago), DefaultRules); err != nil {
		t.Fatal(err)
	}
	if !tr.RequestApproval(now, DefaultRules) || tr.Status != statusAwaitingApproval {
		t.Fatalf("a tour with homes to approve: status %s", tr.Status)
	}
	return tr
}

func TestApprovalDeadline(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	r := DefaultRules
	cases := []struct {
		name  string
		start time.Time
		want  time.Time
	}{
		{"tour in two days: 4 h after the request", at.Add(48 * time.Hour), at.Add(4 * time.Hour)},
		{"tour in 5 h: 2 h before it", at.Add(5 * time.Hour), at.Add(3 * time.Hour)},
		{"tour in 6 h: both the same", at.Add(6 * time.Hour), at.Add(4 * time.Hour)},
		{"tour in 90 min: at once", at.Add(90 * time.Minute), at},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := r.ApprovalDeadline(at, c.start); !got.Equal(c.want) {
				t.Fatalf("deadline = %v, want %v", got, c.want)
			}
		})
	}
}

func TestApproveAll(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tr := awaiting(t, now)
	// The realtor is booked meanwhile: the tour still waits.
	if !tr.Assign("r1", now, now) || tr.Status != statusAwaitingApproval || tr.RealtorID != "r1" {
		t.Fatalf("assignment while waiting: %s %q", tr.Status, tr.RealtorID)
	}
	a, err := tr.Approve("a", now, DefaultRules)
	if err != nil || !a.Changed || a.Decided || tr.Status != statusAwaitingApproval {
		t.Fatalf("first approval: %+v %v, status %s", a, err, tr.Status)
	}
	v := tr.Version
	if a, err := tr.Approve("a", now, DefaultRules); err != nil || a.Changed || tr.Version != v {
		t.Fatalf("approving twice: %+v %v, version %d -> %d", a, err, v, tr.Version)
	}
	if _, err := tr.Decline("a", now, DefaultRules); !errors.Is(err, errAnswered) {
		t.Fatalf("declining an approved home = %v", err)
	}
	a, err = tr.Approve("b", now, DefaultRules)
	if err != nil || !a.Decided || tr.Status != statusScheduled || tr.RealtorID != "r1" {
		t.Fatalf("last approval: %+v %v, status %s", a, err, tr.Status)
	}
	if _, err := tr.Approve("zz", now, DefaultRules); !errors.Is(err, errNotFound) {
		t.Fatalf("a home not in the tour = %v", err)
	}
}

func TestDomainDeclineOneOfTwo(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tr := awaiting(t, now)
	longEnd := tr.EndsAt
	a, err := tr.Decline("a", now, DefaultRules)
	if err != nil || a.Declined == nil || a.Declined.ListingID != "a" || a.Refund != usd(4000) || a.Cancelled {
		t.Fatalf("decline: %+v %v", a, err)
	}
	if ids := tr.ListingIDs(); len(ids) != 1 || ids[0] != "b" {
		t.Fatalf("stops after decline = %v", ids)
	}
	// Planned again from the same start: one 30-minute visit.
	if got := tr.EndsAt.Sub(tr.ScheduledAt); got != 30*time.Minute || !tr.EndsAt.Before(longEnd) || !tr.Stops[0].Arrive.Equal(tr.ScheduledAt) {
		t.Fatalf("route after decline: %v to %v", tr.ScheduledAt, tr.EndsAt)
	}
	if a, err := tr.Decline("a", now, DefaultRules); err != nil || a.Changed {
		t.Fatalf("declining twice: %+v %v", a, err)
	}
	if _, err := tr.Approve("a", now, DefaultRules); !errors.Is(err, errAnswered) {
		t.Fatalf("approving a declined home = %v", err)
	}
	a, err = tr.Approve("b", now, DefaultRules)
	if err != nil || !a.Decided || tr.Status != statusPending {
		t.Fatalf("approval of the other: %+v %v, status %s", a, err, tr.Status)
	}
	// Cancelled later by an admin: the rest, never the declined fee again.
	if err := tr.Cancel(cancelByAdmin, "admin", now, DefaultRules); err != nil || tr.Refund != usd(4000) {
		t.Fatalf("cancel after a decline refunds %v (%v), want the other 4000", tr.Refund, err)
	}
}

func TestDeclineAll(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tr := awaiting(t, now)
	if _, err := tr.Decline("a", now, DefaultRules); err != nil {
		t.Fatal(err)
	}
	a, err := tr.Decline("b", now, DefaultRules)
	if err != nil || !a.Cancelled || a.Refund.Amount != 0 {
		t.Fatalf("last decline: %+v %v", a, err)
	}
	if tr.Status != statusCancelled || tr.CancelReason != "declined" || tr.Refund != usd(4000) || tr.StopsRefunded != usd(4000) {
		t.Fatalf("after the last decline: %s %q refund %v, declined homes refunded %v", tr.Status, tr.CancelReason, tr.Refund, tr.StopsRefunded)
	}
}

func TestExpireApproval(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tr := awaiting(t, now)
	if _, err := tr.Approve("a", now, DefaultRules); err != nil {
		t.Fatal(err)
	}
	due := tr.ApprovalDue
	if _, ok, _ := tr.ExpireApproval(due.Add(-time.Second), DefaultRules); ok {
		t.Fatal("declined before the deadline")
	}
	if _, err := tr.Approve("b", due, DefaultRules); !errors.Is(err, errApprovalClosed) {
		t.Fatalf("an answer at the deadline = %v", err)
	}
	a, ok, err := tr.ExpireApproval(due, DefaultRules)
	if err != nil || !ok || a.Declined.Reason != declinedNoAnswer || a.Refund != usd(4000) || !a.Decided || tr.Status != statusPending {
		t.Fatalf("at the deadline: %+v %v %v, status %s", a, ok, err, tr.Status)
	}
	if _, ok, _ := tr.ExpireApproval(due.Add(time.Hour), DefaultRules); ok {
		t.Fatal("declined twice")
	}
	if _, err := tr.Decline("b", due, DefaultRules); !errors.Is(err, errApprovalClosed) {
		t.Fatalf("declining a home declined for want of an answer = %v", err)
	}
}

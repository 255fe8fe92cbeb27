package tour

import (
	"testing"
	"time"
)

// TestMoveKeepsTheApprovalDeadline: a tour awaiting approval that moves
// keeps its deadline at the latest ApprovalLead before the new start; a
// move later never extends it; a tour not waiting has none to move.
func TestMoveKeepsTheApprovalDeadline(t *testing.T) {
	asked := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name      string
		moveAt    time.Duration // after the request
		start     time.Duration // after the request
		wantAfter time.Duration // the deadline, after the request
	}{
		{"further away", time.Hour, 76 * time.Hour, 4 * time.Hour},
		{"to 5 h after the request", 0, 5 * time.Hour, 3 * time.Hour},
		{"to 2 h 30 after a move 10 min later", 10 * time.Minute, 2*time.Hour + 40*time.Minute, 40 * time.Minute},
		{"to 6 h after the request, 3 h later", 3 * time.Hour, 6 * time.Hour, 4 * time.Hour},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := awaiting(t, asked)
			if err := tr.Reschedule(asked.Add(c.start), asked.Add(c.moveAt), DefaultRules); err != nil {
				t.Fatal(err)
			}
			if tr.Status != statusAwaitingApproval || !tr.ApprovalDue.Equal(asked.Add(c.wantAfter)) {
				t.Fatalf("moved: %s, deadline %v, want %v", tr.Status, tr.ApprovalDue, asked.Add(c.wantAfter))
			}
		})
	}
	tr := awaiting(t, asked)
	for _, l := range []string{"a", "b"} {
		if _, err := tr.Approve(l, asked, DefaultRules); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Reschedule(asked.Add(3*time.Hour), asked, DefaultRules); err != nil || !tr.ApprovalDue.IsZero() {
		t.Fatalf("an approved tour moved: deadline %v, %v", tr.ApprovalDue, err)
	}
}

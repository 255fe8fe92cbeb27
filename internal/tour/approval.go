package tour

import (
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/fault"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// approval is where a home's provider stands on showing it in a tour.
type approval string

// Approvals of a stop. A home whose showing mode is auto needs none (the
// empty value); a declined home leaves the tour (Tour.Declined).
const (
	approvalNone     approval = ""
	approvalPending  approval = "pending"
	approvalApproved approval = "approved"
)

// Why a home left a tour before it happened.
const (
	declinedByProvider = "declined"  // its provider (or an admin) said no
	declinedNoAnswer   = "no_answer" // nobody answered by the deadline
)

// statusAwaitingApproval: paid, its realtor held, waiting for the providers of
// homes whose showing mode is confirm.
const statusAwaitingApproval status = "awaiting_approval"

// Errors of an answer to an approval request.
var (
	// errApprovalClosed: the deadline passed; the home was (or is about
	// to be) declined for want of an answer.
	errApprovalClosed = fault.Conflict("the approval deadline has passed").
				WithDetail("the deadline for an answer has passed; the home was declined")
	// errAnswered: the home was answered the other way already.
	errAnswered = fault.Conflict("the home was answered already").
			WithDetail("the home was answered the other way already")
	// errNoApproval: the home needs no approval in this tour.
	errNoApproval = fault.Conflict("this home needs no approval").
			WithDetail("this home needs no approval in this tour")
)

// declinedStop is a home that left the tour, and why.
type declinedStop struct {
	stop
	Reason string
	At     time.Time
}

// ApprovalDeadline is when a request made at requested for a tour starting
// at start is declined unanswered: the earlier of Rules.ApprovalWait after
// the request and Rules.ApprovalLead before the start, and never before
// the request.
func (r Rules) ApprovalDeadline(requested, start time.Time) time.Time {
	due := requested.Add(r.ApprovalWait)
	if lead := start.Add(-r.ApprovalLead); lead.Before(due) {
		due = lead
	}
	if due.Before(requested) {
		due = requested
	}
	return due.UTC()
}

// RequestApproval puts a new tour whose homes need approval (some stop
// pending) in AwaitingApproval with its deadline; it reports whether any
// home does. The assignment status the tour would have is kept in
// Waiting.
func (t *tour) RequestApproval(now time.Time, r Rules) bool {
	if t.Pending() == 0 {
		return false
	}
	t.Waiting, t.Status = t.Status, statusAwaitingApproval
	t.ApprovalDue = r.ApprovalDeadline(now, t.ScheduledAt)
	return true
}

// moveApprovalDeadline keeps the deadline rule for a tour awaiting approval
// that moved: the deadline it would have if asked now, when that is
// earlier, so it stays Rules.ApprovalLead before a start that came closer;
// a move later never extends it. A tour not waiting has no deadline (zero)
// and gets none.
func (t *tour) moveApprovalDeadline(now time.Time, r Rules) {
	if due := r.ApprovalDeadline(now, t.ScheduledAt); due.Before(t.ApprovalDue) {
		t.ApprovalDue = due
	}
}

// Pending is how many homes still wait for their provider.
func (t tour) Pending() int {
	n := 0
	for _, s := range t.Stops {
		if s.Approval == approvalPending {
			n++
		}
	}
	return n
}

// answer is what became of an answer to a tour's approval request.
type answer struct {
	// Changed is false for an answer given already (the same state).
	Changed bool
	// Declined is the home that left the tour, with its refund (zero when
	// Cancelled, whose refund covers it).
	Declined *declinedStop
	Refund   events.Money
	// Cancelled: no home is left; the tour is cancelled (reason declined)
	// and refunded in full.
	Cancelled bool
	// Decided: no home waits any more; the tour went back to the status
	// its assignment gives it (scheduled when a realtor is booked).
	Decided bool
}

// Approve records a provider's yes for a home. Approving again is the same
// state; after the deadline it is errApprovalClosed.
func (t *tour) Approve(listingID string, now time.Time, r Rules) (answer, error) {
	i, err := t.answerable(listingID, true, now)
	if err != nil || i < 0 {
		return answer{}, err
	}
	t.Stops[i].Approval = approvalApproved
	a := answer{Changed: true, Decided: t.decideIfDone()}
	t.touch(now)
	return a, nil
}

// Decline takes a home out of the tour on its provider's behalf (or an
// admin's). Declining again is the same state; after the deadline it is
// errApprovalClosed.
func (t *tour) Decline(listingID string, now time.Time, r Rules) (answer, error) {
	i, err := t.answerable(listingID, false, now)
	if err != nil || i < 0 {
		return answer{}, err
	}
	return t.declineStop(i, declinedByProvider, now, r)
}

// ExpireApproval declines, for want of an answer, the first home still
// pending once the deadline has passed; ok is false when there is none.
func (t *tour) ExpireApproval(now time.Time, r Rules) (answer, bool, error) {
	if t.Status != statusAwaitingApproval || now.Before(t.ApprovalDue) {
		return answer{}, false, nil
	}
	for i, s := range t.Stops {
		if s.Approval == approvalPending {
			a, err := t.declineStop(i, declinedNoAnswer, now, r)
			return a, err == nil, err
		}
	}
	return answer{}, false, nil
}

// declineStop takes stop i out of the tour: its fee is refunded and the
// route planned again from the same start; with no home left the tour is
// cancelled (reason declined) and refunded in full.
func (t *tour) declineStop(i int, reason string, now time.Time, r Rules) (answer, error) {
	gone := declinedStop{stop: t.Stops[i], Reason: reason, At: now.UTC()}
	gone.Approval = approvalNone
	t.Stops = append(t.Stops[:i:i], t.Stops[i+1:]...)
	t.Declined = append(t.Declined, gone)
	a := answer{Changed: true, Declined: &gone}
	if len(t.Stops) == 0 {
		if err := t.Cancel(cancelBySystem, declinedByProvider, now, r); err != nil {
			return answer{}, err
		}
		t.Waiting, t.ApprovalDue = "", time.Time{}
		a.Cancelled = true
		return a, nil
	}
	if err := t.replan(r); err != nil {
		return answer{}, err
	}
	a.Refund = gone.Fee
	t.StopsRefunded = events.Money{Amount: t.StopsRefunded.Amount + gone.Fee.Amount, Currency: gone.Fee.Currency}
	a.Decided = t.decideIfDone()
	t.touch(now)
	return a, nil
}

// answerable finds the stop an answer is about: its index, or -1 with no
// error for an answer that repeats the home's state.
func (t *tour) answerable(listingID string, approve bool, now time.Time) (int, error) {
	for _, d := range t.Declined {
		if d.ListingID != listingID {
			continue
		}
		switch {
		case d.Reason == declinedNoAnswer:
			return -1, errApprovalClosed
		case approve:
			return -1, errAnswered
		}
		return -1, nil
	}
	i := -1
	for j, s := range t.Stops {
		if s.ListingID == listingID {
			i = j
		}
	}
	switch {
	case i < 0:
		return -1, errNotFound
	case t.Stops[i].Approval == approvalNone:
		return -1, errNoApproval
	case t.Stops[i].Approval == approvalApproved && approve:
		return -1, nil
	case t.Stops[i].Approval == approvalApproved:
		return -1, errAnswered
	case !t.Active():
		return -1, errFinished
	case !now.Before(t.ApprovalDue):
		return -1, errApprovalClosed
	}
	return i, nil
}

// decideIfDone ends the wait once no home is pending: the tour takes the
// status its assignment gave it meanwhile.
func (t *tour) decideIfDone() bool {
	if t.Status != statusAwaitingApproval || t.Pending() > 0 {
		return false
	}
	t.Status, t.Waiting, t.ApprovalDue = t.Waiting, "", time.Time{}
	if t.Status == "" {
		t.Status = statusPending
	}
	return true
}

// replan orders the homes left into the shortest route from the first and
// times it from the same start.
func (t *tour) replan(r Rules) error {
	byID := make(map[string]stop, len(t.Stops))
	for _, s := range t.Stops {
		byID[s.ListingID] = s
	}
	ordered := tourplan.ShortestOrder(t.homes())
	for i, h := range ordered {
		t.Stops[i] = byID[h.ListingID]
	}
	return t.Plan(t.ScheduledAt, r)
}

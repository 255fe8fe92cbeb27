// Package tour owns tours: created when a checkout is paid, ordered into a
// route, scheduled when a realtor is assigned, rescheduled or cancelled by
// the customer or an admin, completed when their time is over. This file is
// the domain: types and rules, no I/O.
package tour

import (
	"errors"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/fault"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// status is where a tour is in its life.
type status string

// Tour statuses, as in the HTTP contract.
const (
	statusPending    status = "pending"    // paid, waiting for a realtor (AwaitingApproval: for providers, approval.go)
	statusScheduled  status = "scheduled"  // a realtor is assigned
	statusUnassigned status = "unassigned" // no realtor free for now; retried
	statusCancelled  status = "cancelled"
	statusCompleted  status = "completed"
)

// stop is one home of the route.
type stop struct {
	ListingID  string
	ProviderID string
	Title      string
	Location   events.GeoPoint
	Arrive     time.Time
	Leave      time.Time
	// Fee is what the customer paid for this home (refunded if declined).
	Fee events.Money
	// Approval is where its provider stands (approval.go).
	Approval approval
}

// tour is a customer's paid visit of one or more homes.
type tour struct {
	ID          string
	CustomerID  string
	PaymentID   string
	OrderID     string
	Paid        events.Money
	Stops       []stop // route order
	TimeZone    string
	ScheduledAt time.Time
	EndsAt      time.Time
	Status      status
	RealtorID   string
	// AssignmentAt is the time of the newest appointment news applied, so
	// older news arriving late changes nothing.
	AssignmentAt time.Time
	// UnassignedAt is when the tour's current wait for a realtor began;
	// zero once a realtor takes it, so a later wait counts from its own
	// start.
	UnassignedAt time.Time
	// FirstAssignedAt is when a realtor first took the tour (zero until
	// one does): the end of the time to schedule.
	FirstAssignedAt time.Time
	CancelReason    string
	Refund          events.Money
	// Approval of homes whose showing mode is confirm (approval.go): the
	// deadline of the answers, the status the assignment gives the tour
	// once they are in, the homes that left, and what their fees refunded.
	ApprovalDue   time.Time
	Waiting       status
	Declined      []declinedStop
	StopsRefunded events.Money
	// NoShowAt is when the realtor marked the customer a no-show
	// (feedback.go); zero if they came.
	NoShowAt  time.Time
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Errors callers branch on, and clients are answered by their kind.
var (
	errNotFound = fault.NotFound("tour not found").WithDetail("no such tour")
	errFinished = fault.Conflict("the tour is cancelled or completed").
			WithDetail("the tour is already cancelled or completed")
	errTooLate = fault.Unprocessable("too close to the tour's start to change it").
			WithDetail("the tour starts too soon to be changed; contact an admin")
	errNotAllowed    = errors.New("not allowed")
	errAlreadyExists = errors.New("a tour for this payment exists")
	// errPeersUnavailable: a service the tour needs did not answer
	// (clients.ErrUnavailable); the client may retry.
	errPeersUnavailable = fault.Unavailable("a service the tour needs is unavailable").
				WithDetail("a service the tour needs is unavailable; try again shortly")
)

// peerFailure is err, told to clients as errPeersUnavailable when a peer
// did not answer.
func peerFailure(err error) error { return clients.WhenUnavailable(err, errPeersUnavailable) }

// ruleError is a request that breaks a rule, naming the field.
type ruleError struct{ Field, Message string }

func (e ruleError) Error() string { return e.Field + ": " + e.Message }

// Answer names the field.
func (e ruleError) Answer() fault.Answer {
	return fault.Answer{Kind: fault.KindInvalid, Fields: []fault.FieldError{{Field: e.Field, Message: e.Message}}}
}

// Rules are the tunable rules of tours. DefaultRules documents the values.
type Rules struct {
	// Plan times a tour's route and bounds when it may start.
	Plan tourplan.Rules
	// ChangeBefore: reschedules and customer cancellations close this long
	// before the start.
	ChangeBefore time.Duration
	// RefundCutoff: a customer who cancels at least this long before the
	// start is refunded in full; later, nothing.
	RefundCutoff time.Duration
	// UnassignedWait: a tour no realtor took for this long (or that starts
	// within ChangeBefore while unassigned) is cancelled with a full refund.
	UnassignedWait time.Duration
	// ApprovalWait and ApprovalLead bound a provider's answer to an
	// approval request: the deadline is the earlier of ApprovalWait after
	// the request and ApprovalLead before the tour.
	ApprovalWait, ApprovalLead time.Duration
}

// DefaultRules: tourplan's plan (30 min per home, 40 km/h, 08:00 to 20:00
// local time), changes until 2 h before, full refund until 24 h before,
// unassigned tours given up after 2 h, approvals answered within 4 h and
// at the latest 2 h before the tour.
var DefaultRules = Rules{
	Plan: tourplan.Default, ChangeBefore: 2 * time.Hour, RefundCutoff: 24 * time.Hour, UnassignedWait: 2 * time.Hour,
	ApprovalWait: 4 * time.Hour, ApprovalLead: 2 * time.Hour,
}

// Active reports whether the tour may still happen.
func (t tour) Active() bool { return t.Status != statusCancelled && t.Status != statusCompleted }

// ListingIDs are the homes in route order.
func (t tour) ListingIDs() []string {
	ids := make([]string, len(t.Stops))
	for i, s := range t.Stops {
		ids[i] = s.ListingID
	}
	return ids
}

// Points are the homes' locations in route order.
func (t tour) Points() []events.GeoPoint {
	out := make([]events.GeoPoint, len(t.Stops))
	for i, s := range t.Stops {
		out[i] = s.Location
	}
	return out
}

// homes are the stops as tourplan plans them, each keeping the visit
// length it was planned with (a home's own, from its showing rules).
func (t tour) homes() []tourplan.Home {
	out := make([]tourplan.Home, len(t.Stops))
	for i, s := range t.Stops {
		out[i] = tourplan.Home{ListingID: s.ListingID, Location: s.Location, Visit: max(s.Leave.Sub(s.Arrive), 0)}
	}
	return out
}

// Plan times every stop from start in the route's order and checks that
// the tour lies within the homes' day. It sets ScheduledAt, EndsAt and the
// stops' times.
func (t *tour) Plan(start time.Time, r Rules) error {
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil || t.TimeZone == "" {
		return ruleError{"scheduled_at", "the homes' time zone is unknown"}
	}
	route := tourplan.Time(t.homes(), start, r.Plan)
	if !r.Plan.InDay(route.Start, route.Length(), loc) {
		return ruleError{"scheduled_at", fmt.Sprintf("the tour (%s) must start and end between %s and %s %s time",
			route.Length().Round(time.Minute), clockOf(r.Plan.DayStart), clockOf(r.Plan.DayEnd), t.TimeZone)}
	}
	for i, st := range route.Stops {
		t.Stops[i].Arrive, t.Stops[i].Leave = st.Arrive, st.Leave
	}
	t.ScheduledAt, t.EndsAt = route.Start, route.End
	return nil
}

func clockOf(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}

// Reschedule moves an active tour to start, keeping its route; any
// realtor is released.
func (t *tour) Reschedule(start, now time.Time, r Rules) error {
	if !t.Active() {
		return errFinished
	}
	if now.Add(r.ChangeBefore).After(t.ScheduledAt) {
		return errTooLate
	}
	if !start.After(now.Add(r.ChangeBefore)) {
		return ruleError{"scheduled_at", fmt.Sprintf("must be at least %s from now", r.ChangeBefore)}
	}
	if start.After(now.Add(r.Plan.MaxLead)) {
		return ruleError{"scheduled_at", "must be within 90 days"}
	}
	if err := t.Plan(start, r); err != nil {
		return err
	}
	t.moveApprovalDeadline(now, r)
	t.setAssignment(statusPending, "")
	t.touch(now)
	return nil
}

// setAssignment records what the appointment service says of the tour's
// realtor: as its status, or, while its homes await approval, as the
// status it takes once they are approved.
func (t *tour) setAssignment(s status, realtorID string) {
	t.RealtorID = realtorID
	if t.Status == statusAwaitingApproval {
		t.Waiting = s
		return
	}
	t.Status = s
}

// cancelBy says who cancels, which decides the refund.
type cancelBy string

// Who cancels.
const (
	cancelByCustomer cancelBy = "customer"
	cancelByAdmin    cancelBy = "admin"
	cancelBySystem   cancelBy = "system"
)

// Cancel ends an active tour and sets the refund: in full when an admin or
// the platform cancels, when no realtor was ever assigned, or when the
// customer cancels at least RefundCutoff before the start; otherwise none.
// In full is what was paid less what declined homes refunded already.
func (t *tour) Cancel(by cancelBy, reason string, now time.Time, r Rules) error {
	if !t.Active() {
		return errFinished
	}
	if by == cancelByCustomer && now.Add(r.ChangeBefore).After(t.ScheduledAt) {
		return errTooLate
	}
	t.Refund = events.Money{Currency: t.Paid.Currency}
	if by != cancelByCustomer || t.Status != statusScheduled || !now.Add(r.RefundCutoff).After(t.ScheduledAt) {
		t.Refund = events.Money{Amount: t.Paid.Amount - t.StopsRefunded.Amount, Currency: t.Paid.Currency}
	}
	t.Status, t.CancelReason = statusCancelled, reason
	t.touch(now)
	return nil
}

// Assign records a realtor, unless newer appointment news was applied.
func (t *tour) Assign(realtorID string, at, now time.Time) bool {
	if !t.Active() || at.Before(t.AssignmentAt) {
		return false
	}
	t.setAssignment(statusScheduled, realtorID)
	t.AssignmentAt, t.UnassignedAt = at, time.Time{}
	if t.FirstAssignedAt.IsZero() {
		t.FirstAssignedAt = at.UTC()
	}
	t.touch(now)
	return true
}

// Unassign records that no realtor is free for now.
func (t *tour) Unassign(at, now time.Time) bool {
	if !t.Active() || at.Before(t.AssignmentAt) || t.Status == statusUnassigned || t.Waiting == statusUnassigned {
		return false
	}
	t.setAssignment(statusUnassigned, "")
	t.AssignmentAt = at
	if t.UnassignedAt.IsZero() {
		t.UnassignedAt = now.UTC()
	}
	t.touch(now)
	return true
}

// Release records that the realtor gave the tour up (declined); the tour
// waits for the next assignment.
func (t *tour) Release(realtorID string, at, now time.Time) bool {
	if !t.Active() || t.RealtorID != realtorID || at.Before(t.AssignmentAt) {
		return false
	}
	t.setAssignment(statusPending, "")
	t.AssignmentAt = at
	t.touch(now)
	return true
}

// Complete ends a scheduled tour whose time is over.
func (t *tour) Complete(now time.Time) bool {
	if t.Status != statusScheduled || now.Before(t.EndsAt) {
		return false
	}
	t.Status = statusCompleted
	t.touch(now)
	return true
}

// GiveUp reports whether an unassigned tour has waited too long.
func (t tour) GiveUp(now time.Time, r Rules) bool {
	if t.Status != statusUnassigned {
		return false
	}
	return now.Sub(t.UnassignedAt) >= r.UnassignedWait || !t.ScheduledAt.After(now.Add(r.ChangeBefore))
}

func (t *tour) touch(now time.Time) {
	t.Version++
	t.UpdatedAt = now.UTC()
}

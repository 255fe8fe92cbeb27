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

// Status is where a tour is in its life.
type Status string

// Tour statuses, as in the HTTP contract.
const (
	Pending    Status = "pending"    // paid, waiting for a realtor (AwaitingApproval: for providers, approval.go)
	Scheduled  Status = "scheduled"  // a realtor is assigned
	Unassigned Status = "unassigned" // no realtor free for now; retried
	Cancelled  Status = "cancelled"
	Completed  Status = "completed"
)

// Stop is one home of the route.
type Stop struct {
	ListingID  string
	ProviderID string
	Title      string
	Location   events.GeoPoint
	Arrive     time.Time
	Leave      time.Time
	// Fee is what the customer paid for this home (refunded if declined).
	Fee events.Money
	// Approval is where its provider stands (approval.go).
	Approval Approval
}

// Tour is a customer's paid visit of one or more homes.
type Tour struct {
	ID          string
	CustomerID  string
	PaymentID   string
	OrderID     string
	Paid        events.Money
	Stops       []Stop // route order
	TimeZone    string
	ScheduledAt time.Time
	EndsAt      time.Time
	Status      Status
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
	Waiting       Status
	Declined      []DeclinedStop
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
	ErrNotFound = fault.NotFound("tour not found").WithDetail("no such tour")
	ErrFinished = fault.Conflict("the tour is cancelled or completed").
			WithDetail("the tour is already cancelled or completed")
	ErrTooLate = fault.Unprocessable("too close to the tour's start to change it").
			WithDetail("the tour starts too soon to be changed; contact an admin")
	ErrNotAllowed    = errors.New("not allowed")
	ErrAlreadyExists = errors.New("a tour for this payment exists")
	// errPeersUnavailable: a service the tour needs did not answer
	// (clients.ErrUnavailable); the client may retry.
	errPeersUnavailable = fault.Unavailable("a service the tour needs is unavailable").
				WithDetail("a service the tour needs is unavailable; try again shortly")
)

// peerFailure is err, told to clients as errPeersUnavailable when a peer
// did not answer.
func peerFailure(err error) error { return clients.WhenUnavailable(err, errPeersUnavailable) }

// RuleError is a request that breaks a rule, naming the field.
type RuleError struct{ Field, Message string }

func (e RuleError) Error() string { return e.Field + ": " + e.Message }

// Answer names the field.
func (e RuleError) Answer() fault.Answer {
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
func (t Tour) Active() bool { return t.Status != Cancelled && t.Status != Completed }

// ListingIDs are the homes in route order.
func (t Tour) ListingIDs() []string {
	ids := make([]string, len(t.Stops))
	for i, s := range t.Stops {
		ids[i] = s.ListingID
	}
	return ids
}

// Points are the homes' locations in route order.
func (t Tour) Points() []events.GeoPoint {
	out := make([]events.GeoPoint, len(t.Stops))
	for i, s := range t.Stops {
		out[i] = s.Location
	}
	return out
}

// homes are the stops as tourplan plans them, each keeping the visit
// length it was planned with (a home's own, from its showing rules).
func (t Tour) homes() []tourplan.Home {
	out := make([]tourplan.Home, len(t.Stops))
	for i, s := range t.Stops {
		out[i] = tourplan.Home{ListingID: s.ListingID, Location: s.Location, Visit: max(s.Leave.Sub(s.Arrive), 0)}
	}
	return out
}

// Plan times every stop from start in the route's order and checks that
// the tour lies within the homes' day. It sets ScheduledAt, EndsAt and the
// stops' times.
func (t *Tour) Plan(start time.Time, r Rules) error {
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil || t.TimeZone == "" {
		return RuleError{"scheduled_at", "the homes' time zone is unknown"}
	}
	route := tourplan.Time(t.homes(), start, r.Plan)
	if !r.Plan.InDay(route.Start, route.Length(), loc) {
		return RuleError{"scheduled_at", fmt.Sprintf("the tour (%s) must start and end between %s and %s %s time",
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
func (t *Tour) Reschedule(start, now time.Time, r Rules) error {
	if !t.Active() {
		return ErrFinished
	}
	if now.Add(r.ChangeBefore).After(t.ScheduledAt) {
		return ErrTooLate
	}
	if !start.After(now.Add(r.ChangeBefore)) {
		return RuleError{"scheduled_at", fmt.Sprintf("must be at least %s from now", r.ChangeBefore)}
	}
	if start.After(now.Add(r.Plan.MaxLead)) {
		return RuleError{"scheduled_at", "must be within 90 days"}
	}
	if err := t.Plan(start, r); err != nil {
		return err
	}
	t.moveApprovalDeadline(now, r)
	t.setAssignment(Pending, "")
	t.touch(now)
	return nil
}

// setAssignment records what the appointment service says of the tour's
// realtor: as its status, or, while its homes await approval, as the
// status it takes once they are approved.
func (t *Tour) setAssignment(s Status, realtorID string) {
	t.RealtorID = realtorID
	if t.Status == AwaitingApproval {
		t.Waiting = s
		return
	}
	t.Status = s
}

// CancelBy says who cancels, which decides the refund.
type CancelBy string

// Who cancels.
const (
	ByCustomer CancelBy = "customer"
	ByAdmin    CancelBy = "admin"
	BySystem   CancelBy = "system"
)

// Cancel ends an active tour and sets the refund: in full when an admin or
// the platform cancels, when no realtor was ever assigned, or when the
// customer cancels at least RefundCutoff before the start; otherwise none.
// In full is what was paid less what declined homes refunded already.
func (t *Tour) Cancel(by CancelBy, reason string, now time.Time, r Rules) error {
	if !t.Active() {
		return ErrFinished
	}
	if by == ByCustomer && now.Add(r.ChangeBefore).After(t.ScheduledAt) {
		return ErrTooLate
	}
	t.Refund = events.Money{Currency: t.Paid.Currency}
	if by != ByCustomer || t.Status != Scheduled || !now.Add(r.RefundCutoff).After(t.ScheduledAt) {
		t.Refund = events.Money{Amount: t.Paid.Amount - t.StopsRefunded.Amount, Currency: t.Paid.Currency}
	}
	t.Status, t.CancelReason = Cancelled, reason
	t.touch(now)
	return nil
}

// Assign records a realtor, unless newer appointment news was applied.
func (t *Tour) Assign(realtorID string, at, now time.Time) bool {
	if !t.Active() || at.Before(t.AssignmentAt) {
		return false
	}
	t.setAssignment(Scheduled, realtorID)
	t.AssignmentAt, t.UnassignedAt = at, time.Time{}
	if t.FirstAssignedAt.IsZero() {
		t.FirstAssignedAt = at.UTC()
	}
	t.touch(now)
	return true
}

// Unassign records that no realtor is free for now.
func (t *Tour) Unassign(at, now time.Time) bool {
	if !t.Active() || at.Before(t.AssignmentAt) || t.Status == Unassigned || t.Waiting == Unassigned {
		return false
	}
	t.setAssignment(Unassigned, "")
	t.AssignmentAt = at
	if t.UnassignedAt.IsZero() {
		t.UnassignedAt = now.UTC()
	}
	t.touch(now)
	return true
}

// Release records that the realtor gave the tour up (declined); the tour
// waits for the next assignment.
func (t *Tour) Release(realtorID string, at, now time.Time) bool {
	if !t.Active() || t.RealtorID != realtorID || at.Before(t.AssignmentAt) {
		return false
	}
	t.setAssignment(Pending, "")
	t.AssignmentAt = at
	t.touch(now)
	return true
}

// Complete ends a scheduled tour whose time is over.
func (t *Tour) Complete(now time.Time) bool {
	if t.Status != Scheduled || now.Before(t.EndsAt) {
		return false
	}
	t.Status = Completed
	t.touch(now)
	return true
}

// GiveUp reports whether an unassigned tour has waited too long.
func (t Tour) GiveUp(now time.Time, r Rules) bool {
	if t.Status != Unassigned {
		return false
	}
	return now.Sub(t.UnassignedAt) >= r.UnassignedWait || !t.ScheduledAt.After(now.Add(r.ChangeBefore))
}

func (t *Tour) touch(now time.Time) {
	t.Version++
	t.UpdatedAt = now.UTC()
}

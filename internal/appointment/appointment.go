// Package appointment assigns realtors to tours and keeps their schedules:
// it asks availability for free realtors near the homes, picks one fairly,
// reserves the slot, and is the source of truth that no realtor is ever
// booked twice. This file is the domain: types and rules, no I/O.
package appointment

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/fault"
)

// Status of an appointment.
type status string

// Appointment statuses. A held appointment is a hold: the realtor is kept
// for the window until ExpiresAt while the customer pays (or the tour
// moves); booking turns it scheduled. Held, scheduled and confirmed
// appointments all block the realtor.
const (
	held      status = "held"
	Scheduled status = "scheduled"
	confirmed status = "confirmed"
	Released  status = "released"
)

// Why an appointment or a hold was released.
const (
	reasonCancelled   = "cancelled"
	reasonRescheduled = "rescheduled"
	reasonDeclined    = "declined"
	// Holds only: the card was declined (the checkout gave it back), it
	// lapsed, or its tour was booked with another realtor.
	reasonHoldReleased = "released"
	reasonHoldExpired  = "expired"
	reasonReassigned   = "reassigned"
)

// Appointment is a realtor booked (or held) for a tour's time window.
type appointment struct {
	ID            string
	TourID        string
	RealtorID     string
	CustomerID    string
	ListingIDs    []string
	StartsAt      time.Time
	EndsAt        time.Time
	Status        status
	ReleaseReason string
	// ExpiresAt is when a hold lapses; zero for a booking.
	ExpiresAt time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Active reports whether the appointment still blocks the realtor.
func (a appointment) Active() bool { return a.Status != Released }

// Booked reports whether it is a tour's booking (not a hold, not released).
func (a appointment) Booked() bool { return a.Status == Scheduled || a.Status == confirmed }

// IndexKey is what the availability index knows the appointment by: a
// hold by its own id, a booking by its tour.
func (a appointment) IndexKey() string {
	if a.Status == held || (a.Status == Released && !a.ExpiresAt.IsZero()) {
		return a.ID
	}
	return a.TourID
}

// Lapsed reports whether a hold's time is up.
func (a appointment) Lapsed(now time.Time) bool {
	return a.Status == held && !now.Before(a.ExpiresAt)
}

// Release ends an appointment or a hold for reason. Releasing a released
// one is ErrReleased.
func (a *appointment) Release(reason string, now time.Time) error {
	if !a.Active() {
		return errReleased
	}
	a.Status, a.ReleaseReason, a.UpdatedAt = Released, reason, now.UTC()
	return nil
}

// Confirm records that realtorID, the assigned realtor, will come. It
// reports false when it was confirmed already.
func (a *appointment) Confirm(realtorID string, now time.Time) (bool, error) {
	switch {
	case a.RealtorID != realtorID:
		return false, errNotAllowed
	case a.Status == Released:
		return false, errReleased
	case a.Status == held:
		return false, errNotFound // a hold is nobody's appointment yet
	case a.Status == confirmed:
		return false, nil
	}
	a.Status, a.UpdatedAt = confirmed, now.UTC()
	return true, nil
}

// Decline gives a booking up on behalf of realtorID, its realtor.
func (a *appointment) Decline(realtorID string, now time.Time) error {
	switch {
	case a.RealtorID != realtorID:
		return errNotAllowed
	case a.Status == held:
		return errNotFound
	}
	return a.Release(reasonDeclined, now)
}

// BookFor turns a hold into the booking of request r: the same window, not
// lapsed past being released, and its realtor eligible. It reports why not
// with ErrHoldUnusable.
func (a *appointment) BookFor(r request, eligible bool, now time.Time) error {
	switch {
	case a.Status != held:
		return fmt.Errorf("%w: it is %s", errHoldUnusable, a.Status)
	case !a.StartsAt.Equal(r.StartsAt) || !a.EndsAt.Equal(r.EndsAt):
		return fmt.Errorf("%w: held for %s-%s, the tour is %s-%s", errHoldUnusable, a.StartsAt, a.EndsAt, r.StartsAt, r.EndsAt)
	case !eligible:
		return fmt.Errorf("%w: realtor %s no longer takes tours", errHoldUnusable, a.RealtorID)
	}
	a.TourID, a.CustomerID, a.ListingIDs = r.TourID, r.CustomerID, append([]string(nil), r.ListingIDs...)
	a.Status, a.ExpiresAt, a.UpdatedAt = Scheduled, time.Time{}, now.UTC()
	return nil
}

// RequestState is where a tour is in assignment.
type requestState string

// Request states.
const (
	assigning requestState = "assigning" // waiting for an assignment round
	assigned  requestState = "assigned"
	waiting   requestState = "waiting" // no realtor free; retried
	closed    requestState = "closed"  // cancelled or over
)

// Request is a tour as the appointment service needs it: where, when, and
// who already declined it.
type request struct {
	TourID     string
	CustomerID string
	ListingIDs []string
	Stops      []events.GeoPoint
	StartsAt   time.Time
	EndsAt     time.Time
	Version    int
	State      requestState
	// HoldID is the hold the request is booked from first, if any.
	HoldID       string
	Declined     []string
	WaitingSince time.Time
	UpdatedAt    time.Time
}

// Errors callers branch on, and clients are answered by their kind.
var (
	errNotFound   = fault.NotFound("appointment not found").WithDetail("no such appointment")
	errNotAllowed = fault.Forbidden("not allowed").WithDetail("only the assigned realtor can do this")
	errReleased   = fault.Conflict("the appointment was released")
	// ErrDoubleBooking: the realtor already has an appointment in that
	// window. The database refuses it whatever the availability cache said.
	errDoubleBooking = errors.New("realtor already booked at that time")
	// ErrTourTaken: the tour already has an active appointment.
	errTourTaken = errors.New("tour already assigned")
	// ErrNoRealtor: no realtor can be held for that window.
	errNoRealtor = errors.New("no realtor is free for that time")
	// ErrHoldConflict: a hold with that id exists for something else.
	errHoldConflict = errors.New("a hold with that id exists for another window")
	// ErrHoldBooked: the hold became a booking; it cannot be given back.
	errHoldBooked = errors.New("the hold was booked")
	// ErrHoldUnusable: a hold cannot become this booking.
	errHoldUnusable = errors.New("the hold cannot be booked")
)

// Candidate is a free realtor with what fairness needs to know.
type Candidate struct {
	RealtorID  string
	DistanceKM float64 // to the first home
	// LastBooked is when the realtor last got a tour (zero: never).
	LastBooked time.Time
	// WeekBookings is how many tours they have in the tour's week.
	WeekBookings int
}

// Common keeps the realtors free for every home of a tour, found[i] being
// those free for home i, minus those who declined the tour. Each keeps its
// distance to the first home; the order is found[0]'s.
func common(found [][]Candidate, declined []string) []Candidate {
	if len(found) == 0 {
		return nil
	}
	in := make(map[string]int, len(found[0])) // realtor -> homes that found them
	for i, homes := range found {
		for _, c := range homes {
			if in[c.RealtorID] == i {
				in[c.RealtorID] = i + 1
			}
		}
	}
	for _, id := range declined {
		delete(in, id)
	}
	out := make([]Candidate, 0, len(found[0]))
	for _, c := range found[0] {
		if in[c.RealtorID] == len(found) {
			out = append(out, c)
			in[c.RealtorID] = -1 // once, even if listed twice
		}
	}
	return out
}

// Choose is the assignment decision once the candidates are known: each
// gets its booking history from stats (by realtor id; missing: never
// booked), and Rank orders them. The first is tried first.
func choose(common []Candidate, stats map[string]Candidate) []Candidate {
	out := make([]Candidate, len(common))
	for i, c := range common {
		st := stats[c.RealtorID]
		c.LastBooked, c.WeekBookings = st.LastBooked, st.WeekBookings
		out[i] = c
	}
	return rank(out)
}

// Rank orders candidates fairly: whoever was booked least recently first
// (never booked before anyone), then whoever has the fewest tours that
// week, then the nearest, then by id so the order is total.
func rank(cs []Candidate) []Candidate {
	out := slices.Clone(cs)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.LastBooked.Equal(b.LastBooked) {
			return a.LastBooked.Before(b.LastBooked)
		}
		if a.WeekBookings != b.WeekBookings {
			return a.WeekBookings < b.WeekBookings
		}
		if a.DistanceKM != b.DistanceKM {
			return a.DistanceKM < b.DistanceKM
		}
		return a.RealtorID < b.RealtorID
	})
	return out
}

// WeekOf is the Monday 00:00 UTC starting the ISO week of t, and the next.
func weekOf(t time.Time) (time.Time, time.Time) {
	t = t.UTC()
	day := (int(t.Weekday()) + 6) % 7 // Monday = 0
	start := time.Date(t.Year(), t.Month(), t.Day()-day, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 0, 7)
}

// Package appointment assigns realtors to tours and keeps their schedules:
// it asks availability for free realtors near the homes, picks one fairly,
// reserves the slot, and is the source of truth that no realtor is ever
// booked twice. This file is the domain: types and rules, no I/O.
package appointment

import (
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/openhouse/openhouse/internal/events"
)

// Status of an appointment.
type Status string

// Appointment statuses.
const (
	Scheduled Status = "scheduled"
	Confirmed Status = "confirmed"
	Released  Status = "released"
)

// Appointment is a realtor booked for a tour's time window.
type Appointment struct {
	ID            string
	TourID        string
	RealtorID     string
	CustomerID    string
	ListingIDs    []string
	StartsAt      time.Time
	EndsAt        time.Time
	Status        Status
	ReleaseReason string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Active reports whether the appointment still holds the realtor.
func (a Appointment) Active() bool { return a.Status != Released }

// Overlaps reports whether the appointment, widened by buffer on both
// sides for travel, overlaps [start, end).
func (a Appointment) Overlaps(start, end time.Time, buffer time.Duration) bool {
	return a.StartsAt.Add(-buffer).Before(end) && start.Before(a.EndsAt.Add(buffer))
}

// RequestState is where a tour is in assignment.
type RequestState string

// Request states.
const (
	Assigning RequestState = "assigning" // waiting for an assignment round
	Assigned  RequestState = "assigned"
	Waiting   RequestState = "waiting" // no realtor free; retried
	Closed    RequestState = "closed"  // cancelled or over
)

// Request is a tour as the appointment service needs it: where, when, and
// who already declined it.
type Request struct {
	TourID       string
	CustomerID   string
	ListingIDs   []string
	Stops        []events.GeoPoint
	StartsAt     time.Time
	EndsAt       time.Time
	Version      int
	State        RequestState
	Declined     []string
	WaitingSince time.Time
	UpdatedAt    time.Time
}

// Errors callers branch on.
var (
	ErrNotFound   = errors.New("appointment not found")
	ErrNotAllowed = errors.New("not allowed")
	ErrReleased   = errors.New("the appointment was released")
	// ErrDoubleBooking: the realtor already has an appointment in that
	// window. The database refuses it whatever the availability cache said.
	ErrDoubleBooking = errors.New("realtor already booked at that time")
	// ErrTourTaken: the tour already has an active appointment.
	ErrTourTaken = errors.New("tour already assigned")
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
func Common(found [][]Candidate, declined []string) []Candidate {
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
func Choose(common []Candidate, stats map[string]Candidate) []Candidate {
	out := make([]Candidate, len(common))
	for i, c := range common {
		st := stats[c.RealtorID]
		c.LastBooked, c.WeekBookings = st.LastBooked, st.WeekBookings
		out[i] = c
	}
	return Rank(out)
}

// Rank orders candidates fairly: whoever was booked least recently first
// (never booked before anyone), then whoever has the fewest tours that
// week, then the nearest, then by id so the order is total.
func Rank(cs []Candidate) []Candidate {
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
func WeekOf(t time.Time) (time.Time, time.Time) {
	t = t.UTC()
	day := (int(t.Weekday()) + 6) % 7 // Monday = 0
	start := time.Date(t.Year(), t.Month(), t.Day()-day, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 0, 7)
}

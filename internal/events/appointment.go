package events

import "time"

// Event types published by the appointment service. The subject of each is
// the tour id, so that every event about one tour's assignment shares it.
const (
	TypeHoldPlaced            = "openhouse.appointment.hold.placed.v1"
	TypeHoldReleased          = "openhouse.appointment.hold.released.v1"
	TypeAppointmentScheduled  = "openhouse.appointment.appointment.scheduled.v1"
	TypeAppointmentUnassigned = "openhouse.appointment.appointment.unassigned.v1"
	TypeAppointmentConfirmed  = "openhouse.appointment.appointment.confirmed.v1"
	TypeAppointmentReleased   = "openhouse.appointment.appointment.released.v1"
)

// Appointment is a realtor booked for a tour's time window.
type Appointment struct {
	AppointmentID string    `json:"appointment_id"`
	TourID        string    `json:"tour_id"`
	RealtorID     string    `json:"realtor_id"`
	CustomerID    string    `json:"customer_id"`
	ListingIDs    []string  `json:"listing_ids"`
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
	// Status is scheduled, confirmed or released.
	Status string `json:"status"`
}

// Hold is a realtor held for a window before a booking exists: at
// checkout, before the card is charged, or for a tour's new time before it
// moves. HoldID is what the hold is known by (a checkout's hold takes the
// order's id, which the tour then takes; a reschedule's is its own); TourID
// is the tour it is for, empty until one exists. It lapses at ExpiresAt
// unless a booking is made from it.
type Hold struct {
	HoldID    string    `json:"hold_id"`
	TourID    string    `json:"tour_id,omitempty"`
	RealtorID string    `json:"realtor_id"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// HoldPlaced says a realtor is held for a window. The subject is the tour
// id if known, else the hold id. Consumers: availability (marks the window
// taken).
type HoldPlaced struct {
	Hold
	PlacedAt time.Time `json:"placed_at"`
}

// HoldReleased says a hold ended without a booking: the card was declined
// (released), it lapsed (expired), or its tour was booked with another
// realtor (reassigned). Consumers: availability (frees the window).
type HoldReleased struct {
	Hold
	Reason     string    `json:"reason"` // released, expired, reassigned, cancelled
	ReleasedAt time.Time `json:"released_at"`
}

// AppointmentScheduled says a realtor was assigned to a tour and the slot
// is reserved. When the booking was made from a hold, HoldID and
// HoldRealtorID name it: the hold is used up (availability moves the
// window from the hold to the tour).
type AppointmentScheduled struct {
	Appointment
	HoldID        string    `json:"hold_id,omitempty"`
	HoldRealtorID string    `json:"hold_realtor_id,omitempty"`
	ScheduledAt   time.Time `json:"scheduled_at"`
}

// AppointmentUnassigned says no realtor is free for the tour now; it will
// be retried when one frees up.
type AppointmentUnassigned struct {
	TourID     string    `json:"tour_id"`
	CustomerID string    `json:"customer_id"`
	Reason     string    `json:"reason"`
	At         time.Time `json:"at"`
}

// AppointmentConfirmed says the assigned realtor confirmed the tour.
type AppointmentConfirmed struct {
	Appointment
	ConfirmedAt time.Time `json:"confirmed_at"`
}

// AppointmentReleased says a realtor's slot was given up: the tour was
// cancelled or rescheduled, or the realtor declined.
type AppointmentReleased struct {
	Appointment
	Reason     string    `json:"reason"` // cancelled, rescheduled, declined
	ReleasedAt time.Time `json:"released_at"`
}

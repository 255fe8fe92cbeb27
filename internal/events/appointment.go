package events

import "time"

// Event types published by the appointment service. The subject of each is
// the tour id, so that every event about one tour's assignment shares it.
const (
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

// AppointmentScheduled says a realtor was assigned to a tour and the slot
// is reserved.
type AppointmentScheduled struct {
	Appointment
	ScheduledAt time.Time `json:"scheduled_at"`
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

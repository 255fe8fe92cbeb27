package events

import "time"

// Events of a tour's visits, published by the tour service (subject: the
// tour id): the realtor's access window opening, feedback asked for and
// given, and no-shows. None of them carries a home's access itself.
const (
	TypeTourAccessOpened = "openhouse.tour.access.opened.v1"
)

// TourAccessOpened: the assigned realtor (Tour.RealtorID) may now read the
// access instructions of the tour's first home, until the tour ends. Sent
// once per realtor and start time; the instructions are read with GET
// /tours/{id}/access, never carried here.
type TourAccessOpened struct {
	Tour
	OpensAt  time.Time `json:"opens_at"`
	ClosesAt time.Time `json:"closes_at"`
}

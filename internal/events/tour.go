package events

import "time"

// Event types published by the tour service. The subject of each is the
// tour id.
const (
	TypeTourCreated     = "openhouse.tour.tour.created.v1"
	TypeTourRescheduled = "openhouse.tour.tour.rescheduled.v1"
	TypeTourScheduled   = "openhouse.tour.tour.scheduled.v1"
	TypeTourUnassigned  = "openhouse.tour.tour.unassigned.v1"
	TypeTourCancelled   = "openhouse.tour.tour.cancelled.v1"
	TypeTourCompleted   = "openhouse.tour.tour.completed.v1"
	// Approval of homes whose showing mode is confirm (approval.go in the
	// tour service).
	TypeTourApprovalRequested = "openhouse.tour.tour.approval_requested.v1"
	TypeTourStopApproved      = "openhouse.tour.tour.stop_approved.v1"
	TypeTourStopDeclined      = "openhouse.tour.tour.stop_declined.v1"
)

// TourStop is one home of a tour's route, in visiting order.
type TourStop struct {
	ListingID  string    `json:"listing_id"`
	ProviderID string    `json:"provider_id"`
	Title      string    `json:"title"`
	Location   GeoPoint  `json:"location"`
	Arrive     time.Time `json:"arrive"`
	Leave      time.Time `json:"leave"`
	// TourFee is what the customer paid for this home; a home declined by
	// its provider is refunded this.
	TourFee Money `json:"tour_fee"`
	// Approval is where the provider's approval of this home stands:
	// empty when the home needs none (showing mode auto), else pending or
	// approved (a declined home leaves the tour).
	Approval string `json:"approval,omitempty"`
}

// Tour is a tour as its events carry it: enough for a consumer to act
// without calling back (appointment assigns a realtor from it,
// notification writes to the customer from it).
type Tour struct {
	TourID      string     `json:"tour_id"`
	CustomerID  string     `json:"customer_id"`
	PaymentID   string     `json:"payment_id"`
	OrderID     string     `json:"order_id"`
	Stops       []TourStop `json:"stops"`
	TimeZone    string     `json:"time_zone"`
	ScheduledAt time.Time  `json:"scheduled_at"`
	EndsAt      time.Time  `json:"ends_at"`
	Status      string     `json:"status"`
	RealtorID   string     `json:"realtor_id,omitempty"`
	// NoShow: the realtor marked the customer a no-show (no_show.marked).
	NoShow bool `json:"no_show,omitempty"`
	// HoldID, on tour.created and tour.rescheduled, is the realtor's hold
	// the appointment service books the tour (or its new time) from.
	HoldID string `json:"hold_id,omitempty"`
	// Version increases with every change, so a consumer can ignore news
	// older than what it has applied.
	Version int `json:"version"`
}

// TourCreated: a paid order became a tour; it waits for its realtor, held
// since checkout (HoldID).
type TourCreated struct {
	Tour
	CreatedAt time.Time `json:"created_at"`
}

// TourRescheduled: the customer or an admin moved the tour; any realtor
// assignment for the old time is void.
type TourRescheduled struct {
	Tour
	PreviousScheduledAt time.Time `json:"previous_scheduled_at"`
	RescheduledAt       time.Time `json:"rescheduled_at"`
}

// TourScheduled: a realtor is assigned.
type TourScheduled struct {
	Tour
	At time.Time `json:"at"`
}

// TourUnassigned: no realtor is free for now; the tour waits and is
// assigned when one frees up, or cancelled and refunded after a while.
type TourUnassigned struct {
	Tour
	At time.Time `json:"at"`
}

// TourCancelled: the tour will not happen. Refund is what the customer
// gets back under the cancellation rule.
type TourCancelled struct {
	Tour
	Reason      string `json:"reason"` // customer, admin, no_realtor, listing_removed, provider_suspended, declined
	CancelledBy string `json:"cancelled_by"`
	Refund      Money  `json:"refund"`
	// StopsRefunded is what was refunded before, for homes their providers
	// declined: Refund comes on top of it, never twice for one home.
	StopsRefunded Money     `json:"stops_refunded,omitzero"`
	CancelledAt   time.Time `json:"cancelled_at"`
}

// TourCompleted: the tour's time is over.
type TourCompleted struct {
	Tour
	CompletedAt time.Time `json:"completed_at"`
}

// ApprovalRequest is one home of a tour waiting for its provider's answer.
type ApprovalRequest struct {
	ListingID  string    `json:"listing_id"`
	ProviderID string    `json:"provider_id"`
	Title      string    `json:"title"`
	Arrive     time.Time `json:"arrive"`
	Leave      time.Time `json:"leave"`
}

// TourApprovalRequested: a paid tour has homes whose providers approve
// each showing (mode confirm); it waits (status awaiting_approval, its
// realtor held) until each answers or Deadline passes, when a home not
// answered is declined.
type TourApprovalRequested struct {
	Tour
	Requests    []ApprovalRequest `json:"requests"`
	Deadline    time.Time         `json:"deadline"`
	RequestedAt time.Time         `json:"requested_at"`
}

// TourStopApproved: a home's provider (or an admin) approved its showing.
type TourStopApproved struct {
	Tour
	ListingID  string    `json:"listing_id"`
	ApprovedBy string    `json:"approved_by"`
	ApprovedAt time.Time `json:"approved_at"`
}

// TourStopDeclined: a home left the tour, declined by its provider (or an
// admin), or not answered by the deadline (reason no_answer). Tour is the
// tour after it left, its route planned again. Refund is the home's fee,
// refunded once (idempotency key tour-decline:<tour id>:<listing id>);
// zero when the tour is cancelled for want of homes, whose cancellation
// refunds the rest.
type TourStopDeclined struct {
	Tour
	ListingID  string    `json:"listing_id"`
	ProviderID string    `json:"provider_id"`
	Title      string    `json:"title"`
	Reason     string    `json:"reason"` // declined, no_answer
	DeclinedBy string    `json:"declined_by"`
	Refund     Money     `json:"refund"`
	DeclinedAt time.Time `json:"declined_at"`
}

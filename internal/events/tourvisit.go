package events

import "time"

// Events of a tour's visits, published by the tour service (subject: the
// tour id): the realtor's access window opening, feedback asked for and
// given, and no-shows. None of them carries a home's access itself.
const (
	TypeTourAccessOpened  = "openhouse.tour.access.opened.v1"
	TypeFeedbackRequested = "openhouse.tour.feedback.requested.v1"
	TypeFeedbackSubmitted = "openhouse.tour.feedback.submitted.v1"
	TypeNoShowMarked      = "openhouse.tour.no_show.marked.v1"
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

// FeedbackRequested: a completed tour's customer or realtor (UserID, in
// Role "customer" or "realtor") is asked what they thought of each of its
// homes. Sent once per tour and person, across redeliveries and restarts;
// a customer the realtor marked a no-show is not asked.
type FeedbackRequested struct {
	Tour
	UserID      string    `json:"user_id"`
	Role        string    `json:"role"` // customer, realtor
	RequestedAt time.Time `json:"requested_at"`
}

// FeedbackSubmitted: the tour's customer or realtor gave (or replaced)
// their feedback on one home. It is the whole feedback of that author on
// that home after the change; UpdatedAt orders replacements.
type FeedbackSubmitted struct {
	Tour
	ListingID    string    `json:"listing_id"`
	ProviderID   string    `json:"provider_id"`
	AuthorRole   string    `json:"author_role"` // customer, realtor
	Rating       int       `json:"rating"`
	Interest     string    `json:"interest,omitempty"`      // none, low, medium, high
	PriceOpinion string    `json:"price_opinion,omitempty"` // low, right, high
	Comment      string    `json:"comment,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// NoShowMarked: the tour's realtor says the customer did not come; the
// customer's feedback request is withdrawn.
type NoShowMarked struct {
	Tour
	MarkedBy string    `json:"marked_by"`
	MarkedAt time.Time `json:"marked_at"`
}

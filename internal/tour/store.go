package tour

import (
	"context"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

// Store keeps tours. Writes store their events atomically with the change.
// It is safe for concurrent use.
type Store interface {
	// Create adds t; errAlreadyExists if a tour for its payment exists.
	Create(ctx context.Context, t tour, events ...bus.Event) error
	// ChangeOrder runs change on an order (Order{ID: orderID} if unknown)
	// under the order's lock, at most once per eventID, and saves it; when
	// change returns a tour, the tour is created with the events in the
	// same transaction (errAlreadyExists if one exists for its id or
	// payment).
	ChangeOrder(ctx context.Context, eventID, orderID string, change func(o *order) (*tour, []bus.Event, error)) error
	// Get returns a tour or errNotFound.
	Get(ctx context.Context, id string) (tour, error)
	// Update runs change on the locked tour and saves it with the events
	// change returns. With an eventID, the update is applied at most once
	// per event id (redeliveries change nothing).
	Update(ctx context.Context, id, eventID string, change func(t *tour) ([]bus.Event, error)) (tour, error)
	// List returns tours matching f in start order after the cursor.
	List(ctx context.Context, f filter, after cursor, limit int) ([]tour, error)
	// Active returns the ids of active tours that visit a listing, or a
	// provider's listings, starting after now.
	ActiveWithListing(ctx context.Context, listingID string, now time.Time) ([]string, error)
	ActiveWithProvider(ctx context.Context, providerID string, now time.Time) ([]string, error)
	// Due returns scheduled tours that ended before now, unassigned tours,
	// and tours awaiting approval past their deadline, for the worker to
	// complete, give up or decline.
	Due(ctx context.Context, now time.Time, limit int) ([]tour, error)
	// NextApprovalDue is the earliest deadline of the tours awaiting
	// approval; false when none waits.
	NextApprovalDue(ctx context.Context) (time.Time, bool, error)
	// AwaitingApproval returns the tours awaiting approval that visit a
	// provider's homes (every provider's for ""), in start order after the
	// cursor.
	AwaitingApproval(ctx context.Context, providerID string, after cursor, limit int) ([]tour, error)
	// SaveRealtor keeps r unless a change as new or newer is kept already,
	// so late and repeated news change nothing.
	SaveRealtor(ctx context.Context, r realtorName) error
	// RealtorNames returns the names of the realtors among ids it knows.
	RealtorNames(ctx context.Context, ids []string) (map[string]string, error)
	// Append stores events that record no change to a tour (an audit
	// entry of a read).
	Append(ctx context.Context, evs ...bus.Event) error
	// AccessDue returns scheduled tours whose first home's access opened
	// (lead before the start) and has not ended, whose realtor was not
	// told for that start yet.
	AccessDue(ctx context.Context, now time.Time, lead time.Duration, limit int) ([]tour, error)
	// NoteAccessOpened locks tour id and calls tell; when tell returns an
	// event and the tour's (realtor, start) was not noted yet, it notes it
	// and stores the event, in one transaction, and reports true.
	NoteAccessOpened(ctx context.Context, id string, now time.Time, tell func(t tour) (*bus.Event, error)) (bool, error)
	// RequestFeedback locks tour id and calls ask with it; each request
	// ask returns whose (tour, person) was never asked is stored with the
	// event tell makes of it, in one transaction, and returned. A person
	// asked before is never asked again.
	RequestFeedback(ctx context.Context, id string, ask func(t tour) []feedbackRequest,
		tell func(t tour, r feedbackRequest) (bus.Event, error)) ([]feedbackRequest, error)
	// FeedbackRequests returns who was asked for feedback on tour id.
	FeedbackRequests(ctx context.Context, id string) ([]feedbackRequest, error)
	// PutFeedback locks tour id, reads author's feedback on listingID (nil
	// when none) and calls put; when put returns an event, the feedback
	// it returns replaces the author's and is stored with the event, in
	// one transaction.
	PutFeedback(ctx context.Context, id, listingID, author string,
		put func(t tour, old *feedback) (feedback, *bus.Event, error)) (feedback, error)
	// Feedback returns the feedback given on tour id, by author (every
	// author's for ""), in home and author order.
	Feedback(ctx context.Context, id, author string) ([]feedback, error)
}

// filter narrows List; empty fields match everything.
type filter struct {
	CustomerID string
	RealtorID  string
	Status     status
	// OrderID narrows to the tour of one cart order (at most one), so a
	// client that just checked out finds its tour without reading its
	// whole list.
	OrderID string
}

// cursor is a position in List's order.
type cursor struct {
	ScheduledAt time.Time `json:"s"`
	ID          string    `json:"i"`
}

package appointment

import (
	"context"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

// Store keeps requests and appointments; it is the source of truth of
// realtors' bookings. Writes store their events atomically with the
// change. It is safe for concurrent use.
type Store interface {
	// ChangeRequest runs change on a tour's request (zero Request if none
	// yet) and its active appointment (nil if none) in one locked
	// transaction, at most once per eventID, and saves both with the
	// events change returns.
	ChangeRequest(ctx context.Context, eventID, tourID string, change func(r *request, active *appointment) ([]bus.Event, error)) error
	// Request returns a tour's request or ErrNotFound.
	Request(ctx context.Context, tourID string) (request, error)
	// Pending returns requests waiting for a realtor, or assigning since
	// before stuckBefore, oldest first.
	Pending(ctx context.Context, stuckBefore time.Time, limit int) ([]request, error)
	// Book records a (not yet stored) appointment if the realtor has no
	// active appointment overlapping it (widened by buffer), its schedule
	// admits it (Schedule.Admits: ErrRealtorOff, a kind of
	// ErrDoubleBooking), its tour has none, and the request is still at
	// version and not closed; otherwise ErrDoubleBooking or ErrTourTaken. It marks the request
	// assigned and stores events, all in one transaction.
	Book(ctx context.Context, a appointment, version int, buffer time.Duration, events ...bus.Event) error
	// MarkWaiting moves a request at version from assigning to waiting
	// (storing events) and reports whether it did.
	MarkWaiting(ctx context.Context, tourID string, version int, now time.Time, events ...bus.Event) (bool, error)
	// Stats returns, for each realtor, when they were last booked and how
	// many active appointments they have in [weekStart, weekEnd).
	Stats(ctx context.Context, realtorIDs []string, weekStart, weekEnd time.Time) (map[string]Candidate, error)
	// Appointment returns one or ErrNotFound.
	Appointment(ctx context.Context, id string) (appointment, error)
	// ChangeAppointment runs change on a locked appointment and its
	// request, saving both with the events returned.
	ChangeAppointment(ctx context.Context, id string, change func(a *appointment, r *request) ([]bus.Event, error)) (appointment, error)
	// List pages through appointments, newest first.
	List(ctx context.Context, f filter, after cursor, limit int) ([]appointment, error)
	// PlaceHold records a (not yet stored) hold a (status Held, with its
	// expiry) if its realtor has nothing active overlapping it (widened by
	// buffer) and their schedule admits it, storing events; otherwise
	// ErrDoubleBooking (ErrRealtorOff for the schedule). A hold for an
	// existing tour (a.TourID other than a.ID) may overlap that tour's own
	// booking, which it is to replace. ErrHoldConflict
	// if a.ID names an active appointment or hold, or a booking. A hold
	// that lapsed or was given back may be placed again under its id.
	PlaceHold(ctx context.Context, a appointment, buffer time.Duration, limits []dayLimit, events ...bus.Event) error
	// BookHold runs book on the hold holdID and the request of tourID (at
	// version, assigning or waiting, with no active appointment; otherwise
	// ErrTourTaken) in one transaction under the tour's lock, and saves
	// both with the events book returns.
	BookHold(ctx context.Context, tourID, holdID string, version int, book func(hold *appointment, r *request) ([]bus.Event, error)) error
	// Booking returns a tour's booking (scheduled or confirmed), or
	// ErrNotFound.
	Booking(ctx context.Context, tourID string) (appointment, error)
	// Lapsed returns holds whose expiry is at or before now, soonest first.
	Lapsed(ctx context.Context, now time.Time, limit int) ([]appointment, error)
	// NextLapse returns the earliest expiry of a hold, if any.
	NextLapse(ctx context.Context) (time.Time, bool, error)
	// SetRealtor records whether a realtor may take tours, once per event,
	// unless a newer record (by at) is held.
	SetRealtor(ctx context.Context, eventID, realtorID string, eligible bool, at time.Time) error
	// Eligible reports whether a realtor may take tours; one never heard of
	// is (the index offered them, and iam's news may be behind).
	Eligible(ctx context.Context, realtorID string) (bool, error)
	// SetSchedule records a realtor's time off, daily cap and zone (the
	// busy blocks are left alone) unless a newer schedule (by ScheduleAt)
	// is held. With check, it first takes the realtor's lock and refuses,
	// with a *ScheduleConflict listing them, time off over any hold or
	// booking of theirs that ends after now; Book and PlaceHold take the
	// same lock, so none can slip in between the check and the write.
	SetSchedule(ctx context.Context, realtorID string, s schedule, check bool, now time.Time) error
	// SetBusy records the busy blocks of a realtor's own calendar, unless
	// newer ones (by at) are held.
	SetBusy(ctx context.Context, realtorID string, busy []span, at time.Time) error
	// Agenda returns the realtor's holds and bookings that overlap [from,
	// to), by start.
	Agenda(ctx context.Context, realtorID string, from, to time.Time) ([]appointment, error)
	// Schedule returns a realtor's schedule; the zero Schedule if none.
	Schedule(ctx context.Context, realtorID string) (schedule, error)
	// Showings returns the holds (not lapsed at now) and bookings that
	// visit one of listingIDs and start in [from, to), those of tour
	// exceptTour left out (a tour moving), by start: what a home's most
	// showings a day counts, as PlaceHold does.
	Showings(ctx context.Context, listingIDs []string, from, to time.Time, exceptTour string, now time.Time) ([]appointment, error)
}

// Filter narrows List.
type filter struct {
	RealtorID string
	Status    status
}

// Cursor is a position in List's order.
type cursor struct {
	CreatedAt time.Time `json:"c"`
	ID        string    `json:"i"`
}

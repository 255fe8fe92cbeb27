package availability

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Index holds realtor profiles and their bookings and answers who is free.
// Memory (the embedded default) and Redis implement it and pass one
// contract suite (contract_test.go).
//
// Every method is safe for concurrent use; a Redis index may also be shared
// by several processes. Every write is idempotent and a profile older than
// the one held is ignored, so replaying the event streams onto an index
// that has seen some or all of them ends in the same state: this is what
// makes the index a rebuildable cache.
//
// Errors: ErrInvalid for arguments that break a rule, ErrTaken from
// Reserve, ErrNotFound from Realtor. Any other error is the backend failing
// (Redis unreachable, a context ended); the operation may simply be retried.
//
// Times are kept to the millisecond, in UTC.
type Index interface {
	// PutRealtor inserts or replaces a realtor's profile, unless the index
	// holds one with a later UpdatedAt (then it does nothing and returns
	// nil). Equal UpdatedAt replaces. A profile the index cannot use (it
	// fails Validate) is kept but never offered, so that a suspension or a
	// change to unavailable always takes effect; only a profile without a
	// valid id is refused (ErrInvalid).
	PutRealtor(ctx context.Context, r Realtor) error
	// Realtor returns the profile held, or ErrNotFound.
	Realtor(ctx context.Context, id string) (Realtor, error)
	// Search returns the eligible realtors whose own service radius covers
	// q.Point and every point of q.Also (each within q.MaxDistanceKM, if
	// set) and, when q has a window, who work the whole window in their
	// time zone, hold no booking that blocks it (Booking.Blocks with the
	// index's buffer), are not off or busy during it and not at their
	// daily cap on its day (schedule.go). Nearest to q.Point first, ties by realtor id; at
	// most q.Limit.
	Search(ctx context.Context, q Query) ([]Candidate, error)
	// FreeStarts returns, ascending, each start of q at which at least one
	// eligible realtor whose own service radius covers q.Point and every
	// point of q.Also works the whole [start, start+Length) in their own
	// time zone (wall clock, DST-correct, as Search's hours check),
	// holds no booking that blocks it (Booking.Blocks with the index's
	// buffer), and is neither off, busy nor at their cap (as Search). It names no realtor. It is one computation over the
	// realtors (freestarts.go), not a Search per start.
	FreeStarts(ctx context.Context, q SlotQuery) ([]time.Time, error)
	// PutBusy replaces the busy blocks of a realtor's own calendar
	// (iam's realtor.busy_changed), unless the index holds blocks with a
	// later at (then it does nothing and returns nil); equal at replaces.
	// The realtor need not be known yet. ErrInvalid for spans that break
	// checkSpans or a bad id.
	PutBusy(ctx context.Context, realtorID string, blocks []Span, at time.Time) error
	// Reserve atomically checks that no other tour of the realtor blocks
	// [start, end) and holds it for tourID; ErrTaken if one does. Holding
	// the same tour and window again succeeds; the same tour with another
	// window replaces its old hold. It does not check working hours or the
	// profile (the realtor may be unknown yet): the appointment service
	// decided, and the streams are replayed independently.
	Reserve(ctx context.Context, realtorID, tourID string, start, end time.Time) error
	// Release drops tourID's hold on the realtor; releasing a hold that does
	// not exist succeeds. When start is not zero, the hold is dropped only
	// if it is exactly [start, end): releasing a tour's old window never
	// frees the new one it was moved to.
	Release(ctx context.Context, realtorID, tourID string, start, end time.Time) error
	// Bookings returns the realtor's holds, by start time.
	Bookings(ctx context.Context, realtorID string) ([]Booking, error)
	// Prune drops bookings that ended before before, so the index does not
	// grow forever; it returns how many it dropped.
	Prune(ctx context.Context, before time.Time) (int, error)
	// Reset empties the index, for a rebuild. Writes running at the same
	// time may survive it; stop feeding the index first.
	Reset(ctx context.Context) error
}

// Options are what both implementations share.
type Options struct {
	// Buffer is the travel time kept free before and after every booking.
	// Zero means DefaultBuffer.
	Buffer time.Duration
}

func (o Options) withDefaults() (Options, error) {
	if o.Buffer == 0 {
		o.Buffer = defaultBuffer
	}
	if o.Buffer < 0 || o.Buffer > 24*time.Hour {
		return o, fmt.Errorf("availability: buffer must be between 0 and 24h, got %s", o.Buffer)
	}
	return o, nil
}

// prepared is a profile as both indexes keep it, with its zone and week
// parsed when it is usable.
type prepared struct {
	r      Realtor
	usable bool // passes Validate
	loc    *time.Location
	sched  schedule
	off    []block // r.TimeOff
}

// eligible: offered in searches.
func (p prepared) eligible() bool { return p.usable && p.r.Eligible() }

// prepare puts r in the form both indexes keep: UTC times, "UTC" for an
// empty zone, its own copies of the slices.
func prepare(r Realtor, z *zones) (prepared, error) {
	if r.ID == "" || len(r.ID) > maxIDLength {
		return prepared{}, fmt.Errorf("%w: realtor id must be 1 to %d bytes", errInvalid, maxIDLength)
	}
	if r.TimeZone == "" {
		r.TimeZone = "UTC"
	}
	if r.Location != nil {
		p := *r.Location
		r.Location = &p
	}
	r.WorkingHours = slices.Clone(r.WorkingHours)
	r.TimeOff = normalSpans(r.TimeOff)
	r.UpdatedAt = r.UpdatedAt.UTC()
	p := prepared{r: r, loc: time.UTC, off: spanBlocks(r.TimeOff, nil)}
	if r.Validate() == nil {
		loc, err1 := z.load(r.TimeZone)
		sched, err2 := parseSchedule(r.WorkingHours)
		if err1 == nil && err2 == nil {
			p.usable, p.loc, p.sched = true, loc, sched
		}
	}
	return p, nil
}

// checkHold validates Reserve's arguments and returns the window in the
// index's precision.
func checkHold(realtorID, tourID string, start, end time.Time) (time.Time, time.Time, error) {
	if err := checkIDs(realtorID, tourID); err != nil {
		return start, end, err
	}
	start, end = millis(start), millis(end)
	if start.IsZero() || end.IsZero() {
		return start, end, fmt.Errorf("%w: start and end are required", errInvalid)
	}
	return start, end, checkWindow(start, end)
}

// checkRelease validates Release's arguments.
func checkRelease(realtorID, tourID string, start, end time.Time) (time.Time, time.Time, error) {
	if err := checkIDs(realtorID, tourID); err != nil {
		return start, end, err
	}
	if start.IsZero() && end.IsZero() {
		return start, end, nil
	}
	start, end = millis(start), millis(end)
	if start.IsZero() || end.IsZero() {
		return start, end, fmt.Errorf("%w: start and end go together", errInvalid)
	}
	return start, end, nil
}

func checkIDs(realtorID, tourID string) error {
	if realtorID == "" || len(realtorID) > maxIDLength || tourID == "" || len(tourID) > maxIDLength {
		return fmt.Errorf("%w: realtor and tour ids must be 1 to %d bytes", errInvalid, maxIDLength)
	}
	return nil
}

// normalQuery validates q and puts its window in the index's precision.
func normalQuery(q Query) (Query, error) {
	q.Start, q.End = millis(q.Start), millis(q.End)
	if err := q.Validate(); err != nil {
		return q, err
	}
	return q, nil
}

// byDistance orders candidates nearest first, ties by id, so that both
// implementations (and a rebuilt index) answer in one order.
func byDistance(a, b Candidate) int {
	switch {
	case a.DistanceKM < b.DistanceKM:
		return -1
	case a.DistanceKM > b.DistanceKM:
		return 1
	}
	switch {
	case a.RealtorID < b.RealtorID:
		return -1
	case a.RealtorID > b.RealtorID:
		return 1
	}
	return 0
}

// checkBusy validates PutBusy's arguments and puts the blocks in the
// index's precision.
func checkBusy(realtorID string, blocks []Span) ([]Span, error) {
	if realtorID == "" || len(realtorID) > maxIDLength {
		return nil, fmt.Errorf("%w: realtor id must be 1 to %d bytes", errInvalid, maxIDLength)
	}
	if err := checkSpans(blocks); err != nil {
		return nil, fmt.Errorf("%w: busy blocks: %s", errInvalid, err)
	}
	return normalSpans(blocks), nil
}

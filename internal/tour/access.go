package tour

import (
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/platform/fault"
)

// defaultAccessLead is how long before the realtor's stop at a home its
// access instructions open to them (OPENHOUSE_ACCESS_LEAD).
const defaultAccessLead = 30 * time.Minute

// accessNotOpenError: no home of the tour is open to its realtor now.
// OpensAt is when the first one opens; zero once the tour is over.
type accessNotOpenError struct {
	OpensAt time.Time
	Ended   bool
}

func (e accessNotOpenError) Error() string {
	if e.Ended {
		return "the tour is over; its homes' access is closed"
	}
	return fmt.Sprintf("the homes' access opens at %s", e.OpensAt.Format(time.RFC3339))
}

// Answer is a conflict saying when the access opens (opens_at), or that
// the tour is over.
func (e accessNotOpenError) Answer() fault.Answer {
	a := fault.Answer{Kind: fault.KindConflict, Detail: e.Error()}
	if !e.Ended {
		a.Extensions = map[string]any{"opens_at": e.OpensAt.UTC()}
	}
	return a
}

// AccessFor reports whether realtorID may read the tour's homes' access
// at all: only while the tour is scheduled with them. A realtor the tour
// was taken from, anyone else, and every tour not scheduled: no.
func (t tour) AccessFor(realtorID string) bool {
	return realtorID != "" && t.Status == statusScheduled && t.RealtorID == realtorID
}

// AccessWindow is when the access of the tour's home listingID is open
// to its realtor: from lead before their stop there until the tour ends.
func (t tour) AccessWindow(listingID string, lead time.Duration) (opens, closes time.Time, ok bool) {
	for _, s := range t.Stops {
		if s.ListingID == listingID {
			return s.Arrive.Add(-lead), t.EndsAt, true
		}
	}
	return time.Time{}, time.Time{}, false
}

// OpenAccess returns the stops whose access is open at now, or an
// AccessNotOpenError saying when the first opens (or that the tour ended).
func (t tour) OpenAccess(now time.Time, lead time.Duration) ([]stop, error) {
	if !now.Before(t.EndsAt) {
		return nil, accessNotOpenError{Ended: true}
	}
	var (
		open  []stop
		first time.Time
	)
	for _, s := range t.Stops {
		opens := s.Arrive.Add(-lead)
		if !now.Before(opens) {
			open = append(open, s)
		} else if first.IsZero() || opens.Before(first) {
			first = opens
		}
	}
	if len(open) == 0 {
		return nil, accessNotOpenError{OpensAt: first}
	}
	return open, nil
}

// AccessOpensAt is when the first home's access opens.
func (t tour) AccessOpensAt(lead time.Duration) time.Time {
	var first time.Time
	for _, s := range t.Stops {
		if opens := s.Arrive.Add(-lead); first.IsZero() || opens.Before(first) {
			first = opens
		}
	}
	return first
}

// AccessOpenNow reports whether the realtor should now be told that the
// access opened: the tour is scheduled with them and its first window is
// open, before the end.
func (t tour) AccessOpenNow(now time.Time, lead time.Duration) bool {
	return t.AccessFor(t.RealtorID) && !now.Before(t.AccessOpensAt(lead)) && now.Before(t.EndsAt)
}

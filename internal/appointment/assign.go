package appointment

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// Assign tries to give a tour a realtor: the one held for it at checkout
// (or for its new time) if that hold is still good, without a search;
// otherwise the free realtors whose areas cover every home, ranked fairly,
// are tried in turn until one can be marked in availability and booked in
// this service's database. With none, the tour waits (announced once) and
// is tried again when a realtor frees up. It is safe to call again for the
// same tour at any time.
func (s *Service) Assign(ctx context.Context, tourID string) error {
	r, err := s.store.Request(ctx, tourID)
	if errors.Is(err, errNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if r.State != assigning && r.State != waiting {
		return nil
	}
	if !r.StartsAt.After(s.cfg.Clock.Now()) {
		return nil // too late to assign; the tour service gives it up
	}
	if r.HoldID != "" {
		booked, err := s.bookHold(ctx, r)
		if err != nil || booked {
			return err
		}
		if r, err = s.store.Request(ctx, tourID); err != nil {
			return err
		}
	}
	ranked, err := s.candidates(ctx, r)
	if err != nil {
		return err
	}
	for _, c := range ranked {
		booked, err := s.tryBook(ctx, r, c)
		if err != nil {
			return err
		}
		if booked {
			return nil
		}
	}
	return s.wait(ctx, r)
}

// searchLimit is how many realtors one availability search returns: the
// nearest who can show every home, the pool Choose ranks fairly and tries
// in turn. One search names all the homes (availability keeps only the
// realtors who cover each), so it needs no margin for an intersection. It
// is the API's default limit; its cost against larger limits is in
// docs/performance.md ("Availability search"). Realtors who declined the
// tour widen the search by as many (up to the API's maximum, MaxSearchLimit), so that they
// never crowd out the ones who have not.
const searchLimit = 20

// searchLimitFor is the search's limit for a tour declined by declined
// realtors.
func searchLimitFor(declined int) int { return min(searchLimit+declined, clients.MaxSearchLimit) }

// candidates asks availability for the realtors free for every home of
// the tour, minus those who declined it, ranked fairly.
func (s *Service) candidates(ctx context.Context, r request) ([]Candidate, error) {
	if len(r.Stops) == 0 {
		return nil, nil
	}
	groups := searchGroups(r.Stops, clients.MaxSearchPoints)
	found := make([][]Candidate, len(groups))
	for i, homes := range groups {
		free, err := s.avail.Search(ctx, homes, r.StartsAt, r.EndsAt, searchLimitFor(len(r.Declined)))
		if err != nil {
			return nil, fmt.Errorf("search availability: %w", err)
		}
		found[i] = make([]Candidate, len(free))
		for j, f := range free {
			found[i][j] = Candidate{RealtorID: f.RealtorID, DistanceKM: f.DistanceKM}
		}
	}
	common := common(found, r.Declined)
	ids := make([]string, len(common))
	for i, c := range common {
		ids[i] = c.RealtorID
	}
	weekStart, weekEnd := weekOf(r.StartsAt)
	stats, err := s.store.Stats(ctx, ids, weekStart, weekEnd)
	if err != nil {
		return nil, err
	}
	return choose(common, stats), nil
}

// searchGroups splits a tour's homes into searches of at most `most` points,
// each starting with the first home so that every answer is ordered by the
// distance to it. A tour from the cart (at most 5 homes) is one search;
// longer ones are intersected by Common.
func searchGroups(stops []events.GeoPoint, most int) [][]events.GeoPoint {
	if len(stops) <= most {
		return [][]events.GeoPoint{stops}
	}
	var out [][]events.GeoPoint
	for rest := stops[1:]; len(rest) > 0; {
		n := min(len(rest), most-1)
		out = append(out, append([]events.GeoPoint{stops[0]}, rest[:n]...))
		rest = rest[n:]
	}
	return out
}

// tryBook holds the realtor in availability, then books in the database;
// if the database refuses (the cache lied, or another instance won the
// tour), the hold is given back.
func (s *Service) tryBook(ctx context.Context, r request, c Candidate) (bool, error) {
	if ok, err := s.store.Eligible(ctx, c.RealtorID); err != nil || !ok {
		return false, err // the index has not heard yet that they stopped taking tours
	}
	err := s.avail.Reserve(ctx, c.RealtorID, r.TourID, r.StartsAt, r.EndsAt)
	if errors.Is(err, clients.ErrSlotTaken) {
		s.metrics.assigned(outcomePrevented)
		return false, nil
	}
	if errors.Is(err, clients.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reserve realtor %s: %w", c.RealtorID, err)
	}
	now := s.cfg.Clock.Now().UTC()
	a := appointment{ID: uuid.NewString(), TourID: r.TourID, RealtorID: c.RealtorID, CustomerID: r.CustomerID,
		ListingIDs: r.ListingIDs, StartsAt: r.StartsAt, EndsAt: r.EndsAt, Status: Scheduled, CreatedAt: now, UpdatedAt: now}
	ev, err := bus.NewEvent(ctx, events.TypeAppointmentScheduled, r.TourID, events.AppointmentScheduled{
		Appointment: eventOf(a), ScheduledAt: now}, now)
	if err != nil {
		return false, err
	}
	err = s.store.Book(ctx, a, r.Version, s.cfg.Buffer, ev)
	switch {
	case err == nil:
		s.cfg.Log.InfoContext(ctx, "realtor assigned", "tour_id", r.TourID, "realtor_id", c.RealtorID, "appointment_id", a.ID)
		s.metrics.assigned(outcomeScheduled)
		return true, nil
	case errors.Is(err, errDoubleBooking), errors.Is(err, errTourTaken):
		if errors.Is(err, errDoubleBooking) {
			s.metrics.assigned(outcomePrevented)
		}
		if rerr := s.avail.Release(ctx, c.RealtorID, r.TourID, r.StartsAt, r.EndsAt); rerr != nil {
			s.cfg.Log.WarnContext(ctx, "release hold", "realtor_id", c.RealtorID, "err", rerr)
		}
		return errors.Is(err, errTourTaken), nil // taken: someone else finished the job
	default:
		_ = s.avail.Release(ctx, c.RealtorID, r.TourID, r.StartsAt, r.EndsAt)
		return false, err
	}
}

// wait parks the tour until a realtor frees up, announcing it once.
func (s *Service) wait(ctx context.Context, r request) error {
	if r.State == waiting {
		return nil
	}
	now := s.cfg.Clock.Now().UTC()
	ev, err := bus.NewEvent(ctx, events.TypeAppointmentUnassigned, r.TourID, events.AppointmentUnassigned{
		TourID: r.TourID, CustomerID: r.CustomerID, Reason: "no realtor free near these homes at that time", At: now}, now)
	if err != nil {
		return err
	}
	moved, err := s.store.MarkWaiting(ctx, r.TourID, r.Version, now, ev)
	if moved {
		s.cfg.Log.InfoContext(ctx, "tour waits for a realtor", "tour_id", r.TourID)
		s.metrics.assigned(outcomeUnassigned)
	}
	return err
}

// RetryWaiting tries every waiting tour again (and any stuck mid-round),
// oldest first.
func (s *Service) RetryWaiting(ctx context.Context) error {
	pending, err := s.store.Pending(ctx, s.cfg.Clock.Now().Add(-s.cfg.Retry), 200)
	if err != nil {
		return err
	}
	var first error
	for _, r := range pending {
		if err := s.Assign(ctx, r.TourID); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func eventOf(a appointment) events.Appointment {
	return events.Appointment{AppointmentID: a.ID, TourID: a.TourID, RealtorID: a.RealtorID, CustomerID: a.CustomerID,
		ListingIDs: a.ListingIDs, StartsAt: a.StartsAt, EndsAt: a.EndsAt, Status: string(a.Status)}
}

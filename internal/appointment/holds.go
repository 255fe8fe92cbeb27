package appointment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// HoldRequest asks for a realtor held for a window: the cart's checkout
// before it charges the card, or the tour service before a tour moves.
type holdRequest struct {
	// HoldID names the hold; asking again with it is answered with the
	// same hold. A checkout uses its order id, which the tour then takes.
	HoldID string
	// TourID is the tour the hold is for; empty for a checkout's, whose
	// tour will take the hold's id.
	TourID     string
	CustomerID string
	ListingIDs []string
	Stops      []events.GeoPoint // the homes in route order
	StartsAt   time.Time
	EndsAt     time.Time
	// Limits are the homes' most showings a day (their showing rules'
	// max_per_day) that this hold must keep.
	Limits []dayLimit
}

// DayLimit is a home's most showings on one of its local days: at most
// Max appointments (held or booked) of ListingID starting from From up to
// To. The store counts them under the home's lock as it places a hold, so
// two checkouts racing for the last showing of a day cannot both win.
type dayLimit struct {
	ListingID string
	Max       int
	From, To  time.Time
}

// FullError is a hold refused because a home has its most showings that
// day already.
type fullError struct{ ListingID string }

func (e fullError) Error() string {
	return "listing " + e.ListingID + " has its most showings that day"
}

func (h holdRequest) tourID() string {
	if h.TourID != "" {
		return h.TourID
	}
	return h.HoldID
}

// PlaceHold holds a realtor for the window: the free realtors whose areas
// cover every home, ranked fairly as for any booking, are tried in turn
// until one is marked in availability and recorded in this service's
// database (the source of truth, under the realtor's lock). The hold lapses
// after Config.HoldTTL unless a booking is made from it. ErrNoRealtor if
// nobody can be held. Asking again for a hold that exists for the same
// window answers it (also once it became a booking).
func (s *Service) PlaceHold(ctx context.Context, req holdRequest) (appointment, error) {
	if a, ok, err := s.existingHold(ctx, req); ok || err != nil {
		return a, err
	}
	r := request{TourID: req.tourID(), CustomerID: req.CustomerID, ListingIDs: req.ListingIDs, Stops: req.Stops,
		StartsAt: req.StartsAt.UTC(), EndsAt: req.EndsAt.UTC()}
	if req.TourID != "" {
		// A tour moving: its own realtor first. The index counts the
		// tour's booking against its new time, so they are tried here
		// without it; the database check leaves that booking out.
		if a, placed, err := s.holdOwnRealtor(ctx, req, r); err != nil || placed {
			return a, err
		}
	}
	ranked, err := s.candidates(ctx, r)
	if err != nil {
		return appointment{}, err
	}
	for _, c := range ranked {
		a, placed, err := s.tryHold(ctx, req, r, c)
		if err != nil || placed {
			return a, err
		}
	}
	s.metrics.held(outcomeNoRealtor)
	return appointment{}, errNoRealtor
}

// holdOwnRealtor holds the realtor booked for the moving tour, if any and
// free at the new time apart from that booking. The index keeps the old
// window until the tour is booked at the new one (appointment.scheduled
// moves it).
func (s *Service) holdOwnRealtor(ctx context.Context, req holdRequest, r request) (appointment, bool, error) {
	booked, err := s.store.Booking(ctx, req.TourID)
	if errors.Is(err, errNotFound) {
		return appointment{}, false, nil
	}
	if err != nil {
		return appointment{}, false, err
	}
	if ok, err := s.store.Eligible(ctx, booked.RealtorID); err != nil || !ok {
		return appointment{}, false, err
	}
	now := s.cfg.Clock.Now().UTC()
	a := appointment{ID: req.HoldID, TourID: r.TourID, RealtorID: booked.RealtorID, CustomerID: r.CustomerID,
		ListingIDs: r.ListingIDs, StartsAt: r.StartsAt, EndsAt: r.EndsAt, Status: held,
		ExpiresAt: now.Add(s.cfg.HoldTTL), CreatedAt: now, UpdatedAt: now}
	ev, err := bus.NewEvent(ctx, events.TypeHoldPlaced, a.TourID, events.HoldPlaced{Hold: holdOf(a), PlacedAt: now}, now)
	if err != nil {
		return appointment{}, false, err
	}
	switch err := s.store.PlaceHold(ctx, a, s.cfg.Buffer, req.Limits, ev); {
	case err == nil:
		s.metrics.held(outcomeHeld)
		s.cfg.Log.InfoContext(ctx, "realtor held for the tour's new time", "hold_id", a.ID, "tour_id", a.TourID, "realtor_id", a.RealtorID)
		return a, true, nil
	case errors.Is(err, errDoubleBooking):
		return appointment{}, false, nil
	case errors.Is(err, errHoldConflict):
		a, ok, err := s.existingHold(ctx, req)
		return a, ok, err
	default:
		return appointment{}, false, err
	}
}

// existingHold answers a hold asked for again.
func (s *Service) existingHold(ctx context.Context, req holdRequest) (appointment, bool, error) {
	a, err := s.store.Appointment(ctx, req.HoldID)
	if errors.Is(err, errNotFound) {
		return appointment{}, false, nil
	}
	if err != nil {
		return appointment{}, false, err
	}
	if a.ExpiresAt.IsZero() && a.Status == Released {
		return appointment{}, false, errHoldConflict // a booking's id
	}
	if !a.Active() {
		return appointment{}, false, nil // lapsed or given back: hold again
	}
	if !a.StartsAt.Equal(req.StartsAt.UTC()) || !a.EndsAt.Equal(req.EndsAt.UTC()) {
		return appointment{}, false, errHoldConflict
	}
	return a, true, nil
}

// tryHold marks candidate c in availability, then records the hold; if
// the database refuses (the cache lied, or another request won), the mark
// is given back.
func (s *Service) tryHold(ctx context.Context, req holdRequest, r request, c Candidate) (appointment, bool, error) {
	if ok, err := s.store.Eligible(ctx, c.RealtorID); err != nil || !ok {
		return appointment{}, false, err
	}
	err := s.avail.Reserve(ctx, c.RealtorID, req.HoldID, r.StartsAt, r.EndsAt)
	if errors.Is(err, clients.ErrSlotTaken) || errors.Is(err, clients.ErrNotFound) {
		s.metrics.held(outcomePrevented)
		return appointment{}, false, nil
	}
	if err != nil {
		return appointment{}, false, fmt.Errorf("reserve realtor %s: %w", c.RealtorID, err)
	}
	now := s.cfg.Clock.Now().UTC()
	a := appointment{ID: req.HoldID, TourID: r.TourID, RealtorID: c.RealtorID, CustomerID: r.CustomerID,
		ListingIDs: r.ListingIDs, StartsAt: r.StartsAt, EndsAt: r.EndsAt, Status: held,
		ExpiresAt: now.Add(s.cfg.HoldTTL), CreatedAt: now, UpdatedAt: now}
	ev, err := bus.NewEvent(ctx, events.TypeHoldPlaced, a.TourID, events.HoldPlaced{Hold: holdOf(a), PlacedAt: now}, now)
	if err != nil {
		return appointment{}, false, err
	}
	err = s.store.PlaceHold(ctx, a, s.cfg.Buffer, req.Limits, ev)
	switch {
	case err == nil:
		s.cfg.Log.InfoContext(ctx, "realtor held", "hold_id", a.ID, "tour_id", a.TourID, "realtor_id", a.RealtorID, "expires_at", a.ExpiresAt)
		s.metrics.held(outcomeHeld)
		return a, true, nil
	case errors.Is(err, errDoubleBooking):
		s.metrics.held(outcomePrevented)
		s.unmark(ctx, c.RealtorID, req.HoldID, r.StartsAt, r.EndsAt)
		return appointment{}, false, nil
	case errors.Is(err, errHoldConflict):
		// The same hold placed by a concurrent request: answer that one.
		s.unmark(ctx, c.RealtorID, req.HoldID, r.StartsAt, r.EndsAt)
		a, ok, err := s.existingHold(ctx, req)
		if err == nil && !ok {
			err = errHoldConflict
		}
		return a, err == nil, err
	default:
		s.unmark(ctx, c.RealtorID, req.HoldID, r.StartsAt, r.EndsAt)
		return appointment{}, false, err
	}
}

// unmark gives a window back in availability, logging a failure (the
// index is a cache; the released events and a rebuild put it right).
func (s *Service) unmark(ctx context.Context, realtorID, key string, start, end time.Time) {
	if err := s.avail.Release(ctx, realtorID, key, start, end); err != nil {
		s.cfg.Log.WarnContext(ctx, "release mark in availability", "realtor_id", realtorID, "key", key, "err", err)
	}
}

// ReleaseHold gives a hold back (the card was declined, the tour was
// cancelled): the realtor is free again at once. Releasing a hold that is
// gone or released already succeeds; a hold that became a booking is
// ErrHoldBooked.
func (s *Service) ReleaseHold(ctx context.Context, id, reason string) error {
	now := s.cfg.Clock.Now()
	released := false
	a, err := s.store.ChangeAppointment(ctx, id, func(a *appointment, _ *request) ([]bus.Event, error) {
		switch {
		case a.Status == Released:
			return nil, nil
		case a.Status != held:
			return nil, errHoldBooked
		}
		if err := a.Release(reason, now); err != nil {
			return nil, err
		}
		released = true
		ev, err := holdReleased(ctx, *a, now)
		return []bus.Event{ev}, err
	})
	if errors.Is(err, errNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if released {
		s.unmark(ctx, a.RealtorID, a.IndexKey(), a.StartsAt, a.EndsAt)
		s.cfg.Log.InfoContext(ctx, "hold released", "hold_id", a.ID, "reason", reason)
		return s.RetryWaiting(ctx)
	}
	return nil
}

// ExpireHolds releases every hold whose time is up, once each however
// many instances sweep at the same time: the expiry is a row in the
// database, so a hold placed before a restart lapses after it.
func (s *Service) ExpireHolds(ctx context.Context) error {
	now := s.cfg.Clock.Now()
	for {
		lapsed, err := s.store.Lapsed(ctx, now, 100)
		if err != nil || len(lapsed) == 0 {
			return err
		}
		for _, h := range lapsed {
			expired := false
			a, err := s.store.ChangeAppointment(ctx, h.ID, func(a *appointment, _ *request) ([]bus.Event, error) {
				if !a.Lapsed(now) {
					return nil, nil // booked or released meanwhile
				}
				if err := a.Release(reasonHoldExpired, now); err != nil {
					return nil, err
				}
				expired = true
				ev, err := holdReleased(ctx, *a, now)
				return []bus.Event{ev}, err
			})
			if err != nil {
				return fmt.Errorf("expire hold %s: %w", h.ID, err)
			}
			if expired {
				s.unmark(ctx, a.RealtorID, a.IndexKey(), a.StartsAt, a.EndsAt)
				s.metrics.held(outcomeExpired)
				s.cfg.Log.InfoContext(ctx, "hold expired", "hold_id", a.ID, "realtor_id", a.RealtorID)
			}
		}
		if len(lapsed) < 100 {
			return s.RetryWaiting(ctx)
		}
	}
}

// expireLoop runs ExpireHolds at every hold's expiry (and every HoldSweep
// at the latest, for holds other instances placed) until ctx ends.
func (s *Service) expireLoop(ctx context.Context) {
	for {
		if err := s.ExpireHolds(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Warn("expire holds", "err", err)
		}
		wait := s.cfg.HoldSweep
		if next, ok, err := s.store.NextLapse(ctx); err == nil && ok {
			if d := next.Sub(s.cfg.Clock.Now()); d < wait {
				wait = max(d, 0)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.cfg.Clock.After(wait):
		}
	}
}

// bookHold books request r from its hold. It reports whether the tour is
// booked (by this call or another); false means the hold could not be
// used (its realtor no longer takes tours, it lapsed and was released):
// the hold is given back and the caller looks for another realtor.
func (s *Service) bookHold(ctx context.Context, r request) (bool, error) {
	hold, err := s.store.Appointment(ctx, r.HoldID)
	if errors.Is(err, errNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if hold.Status != held {
		return hold.Booked() && hold.TourID == r.TourID, nil
	}
	eligible, err := s.store.Eligible(ctx, hold.RealtorID)
	if err != nil {
		return false, err
	}
	// A busy block of the realtor's own calendar may have come since the
	// hold was placed (time off cannot: iam asks first, and the hold
	// counts); then the tour goes to someone else.
	sch, err := s.store.Schedule(ctx, hold.RealtorID)
	if err != nil {
		return false, err
	}
	eligible = eligible && !sch.Off(hold.StartsAt, hold.EndsAt)
	now := s.cfg.Clock.Now()
	var (
		booked bool
		freed  *appointment
	)
	err = s.store.BookHold(ctx, r.TourID, r.HoldID, r.Version, func(h *appointment, req *request) ([]bus.Event, error) {
		req.HoldID = "" // tried once, whatever comes of it
		err := h.BookFor(*req, eligible, now)
		if errors.Is(err, errHoldUnusable) {
			if h.Status != held {
				return nil, nil
			}
			if err := h.Release(reasonReassigned, now); err != nil {
				return nil, err
			}
			given := *h
			freed = &given
			ev, err := holdReleased(ctx, *h, now)
			return []bus.Event{ev}, err
		}
		if err != nil {
			return nil, err
		}
		booked = true
		req.State, req.WaitingSince, req.UpdatedAt = assigned, time.Time{}, now.UTC()
		ev, err := bus.NewEvent(ctx, events.TypeAppointmentScheduled, h.TourID, events.AppointmentScheduled{
			Appointment: eventOf(*h), HoldID: r.HoldID, HoldRealtorID: h.RealtorID, ScheduledAt: now.UTC()}, now)
		return []bus.Event{ev}, err
	})
	switch {
	case errors.Is(err, errTourTaken):
		return true, nil
	case err != nil:
		return false, err
	case booked:
		s.cfg.Log.InfoContext(ctx, "realtor assigned", "tour_id", r.TourID, "realtor_id", hold.RealtorID, "hold_id", r.HoldID)
		s.metrics.assigned(outcomeScheduled)
		return true, nil
	}
	if freed != nil {
		s.unmark(ctx, freed.RealtorID, freed.IndexKey(), freed.StartsAt, freed.EndsAt)
		s.cfg.Log.InfoContext(ctx, "hold not usable; assigning another realtor", "tour_id", r.TourID, "realtor_id", freed.RealtorID)
	}
	return false, nil
}

func holdOf(a appointment) events.Hold {
	return events.Hold{HoldID: a.ID, TourID: a.TourID, RealtorID: a.RealtorID, StartsAt: a.StartsAt, EndsAt: a.EndsAt, ExpiresAt: a.ExpiresAt}
}

func holdReleased(ctx context.Context, a appointment, now time.Time) (bus.Event, error) {
	return bus.NewEvent(ctx, events.TypeHoldReleased, a.TourID, events.HoldReleased{
		Hold: holdOf(a), Reason: a.ReleaseReason, ReleasedAt: now.UTC()}, now)
}

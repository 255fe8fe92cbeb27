package appointment

import (
	"context"
	"errors"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// release ends an active appointment and says so.
func (s *Service) release(ctx context.Context, a *appointment, reason string, now time.Time) (bus.Event, error) {
	if err := a.Release(reason, now); err != nil {
		return bus.Event{}, err
	}
	return bus.NewEvent(ctx, events.TypeAppointmentReleased, a.TourID, events.AppointmentReleased{
		Appointment: eventOf(*a), Reason: reason, ReleasedAt: now.UTC()}, now)
}

// giveBack frees a released appointment's hold in availability at once
// (availability would also do it on the released event).
func (s *Service) giveBack(ctx context.Context, a *appointment) {
	if a == nil {
		return
	}
	if err := s.avail.Release(ctx, a.RealtorID, a.TourID, a.StartsAt, a.EndsAt); err != nil {
		s.cfg.Log.WarnContext(ctx, "release hold", "realtor_id", a.RealtorID, "tour_id", a.TourID, "err", err)
	}
}

func requestOf(t events.Tour) request {
	r := request{TourID: t.TourID, CustomerID: t.CustomerID, StartsAt: t.ScheduledAt.UTC(), EndsAt: t.EndsAt.UTC(),
		Version: t.Version, State: assigning, HoldID: t.HoldID}
	for _, st := range t.Stops {
		r.ListingIDs = append(r.ListingIDs, st.ListingID)
		r.Stops = append(r.Stops, st.Location)
	}
	return r
}

func (s *Service) onTourCreated(ctx context.Context, ev bus.Event) error {
	t, err := bus.DataOf[events.TourCreated](ev)
	if err != nil {
		return err
	}
	now := s.cfg.Clock.Now()
	err = s.store.ChangeRequest(ctx, ev.ID(), t.TourID, func(r *request, _ *appointment) ([]bus.Event, error) {
		if r.State != "" || t.Status == "cancelled" {
			return nil, nil // known already (a later event got here first), or born cancelled
		}
		*r = requestOf(t.Tour)
		r.UpdatedAt = now.UTC()
		return nil, nil
	})
	if err != nil {
		return err
	}
	return s.Assign(ctx, t.TourID)
}

func (s *Service) onTourRescheduled(ctx context.Context, ev bus.Event) error {
	t, err := bus.DataOf[events.TourRescheduled](ev)
	if err != nil {
		return err
	}
	now := s.cfg.Clock.Now()
	var released *appointment
	err = s.store.ChangeRequest(ctx, ev.ID(), t.TourID, func(r *request, active *appointment) ([]bus.Event, error) {
		if r.State == closed || (r.State != "" && r.Version >= t.Version) {
			return nil, nil
		}
		var out []bus.Event
		if active != nil {
			rel, err := s.release(ctx, active, reasonRescheduled, now)
			if err != nil {
				return nil, err
			}
			out, released = append(out, rel), active
		}
		*r = requestOf(t.Tour)
		r.UpdatedAt = now.UTC()
		return out, nil
	})
	if err != nil {
		return err
	}
	s.giveBack(ctx, released)
	if err := s.Assign(ctx, t.TourID); err != nil {
		return err
	}
	return s.retryIfFreed(ctx, released)
}

func (s *Service) onTourCancelled(ctx context.Context, ev bus.Event) error {
	t, err := bus.DataOf[events.TourCancelled](ev)
	if err != nil {
		return err
	}
	return s.close(ctx, ev.ID(), t.TourID, reasonCancelled)
}

func (s *Service) onTourCompleted(ctx context.Context, ev bus.Event) error {
	t, err := bus.DataOf[events.TourCompleted](ev)
	if err != nil {
		return err
	}
	now := s.cfg.Clock.Now()
	return s.store.ChangeRequest(ctx, ev.ID(), t.TourID, func(r *request, _ *appointment) ([]bus.Event, error) {
		if r.State != "" {
			r.State, r.UpdatedAt = closed, now.UTC()
		}
		return nil, nil
	})
}

// close ends a tour's request, releasing its realtor and any hold it had
// not used.
func (s *Service) close(ctx context.Context, eventID, tourID, reason string) error {
	now := s.cfg.Clock.Now()
	var (
		released *appointment
		hold     string
	)
	err := s.store.ChangeRequest(ctx, eventID, tourID, func(r *request, active *appointment) ([]bus.Event, error) {
		hold, r.HoldID = r.HoldID, ""
		if r.State == "" {
			r.TourID, r.StartsAt, r.EndsAt = tourID, now.UTC(), now.UTC() // remember it, so a late "created" changes nothing
		}
		r.State, r.UpdatedAt = closed, now.UTC()
		if active == nil {
			return nil, nil
		}
		rel, err := s.release(ctx, active, reason, now)
		released = active
		return []bus.Event{rel}, err
	})
	if err != nil {
		return err
	}
	s.giveBack(ctx, released)
	if hold != "" {
		if err := s.ReleaseHold(ctx, hold, reasonCancelled); err != nil && !errors.Is(err, errHoldBooked) {
			return err
		}
	}
	return s.retryIfFreed(ctx, released)
}

// retryIfFreed gives waiting tours a chance at a realtor who just freed up.
func (s *Service) retryIfFreed(ctx context.Context, released *appointment) error {
	if released == nil {
		return nil
	}
	return s.RetryWaiting(ctx)
}

// onRealtorChanged keeps whether the realtor takes tours (a hold is booked
// only if so) and their time off and daily cap (applied already if iam's
// call before saving them got here first: the newest wins); a realtor who joined, came back, or changed hours or area
// may fit waiting tours now.
func (s *Service) onRealtorChanged(ctx context.Context, ev bus.Event) error {
	p, err := bus.DataOf[events.RealtorProfileChanged](ev)
	if err != nil {
		return err
	}
	eligible := p.Verified && p.Active && p.Status == "available"
	at := p.At
	if at.IsZero() {
		at = ev.Time()
	}
	if err := s.store.SetRealtor(ctx, ev.ID(), p.RealtorID, eligible, at); err != nil {
		return err
	}
	if err := s.store.SetSchedule(ctx, p.RealtorID, scheduleOf(p.TimeZone, p.MaxToursPerDay, p.TimeOff, at), false, s.cfg.Clock.Now()); err != nil {
		return err
	}
	if !eligible {
		return nil
	}
	return s.RetryWaiting(ctx)
}

// Confirm records that the assigned realtor confirms the tour.
func (s *Service) Confirm(ctx context.Context, id, realtorID string) (appointment, error) {
	now := s.cfg.Clock.Now()
	return s.store.ChangeAppointment(ctx, id, func(a *appointment, _ *request) ([]bus.Event, error) {
		changed, err := a.Confirm(realtorID, now)
		if err != nil || !changed {
			return nil, err
		}
		ev, err := bus.NewEvent(ctx, events.TypeAppointmentConfirmed, a.TourID, events.AppointmentConfirmed{
			Appointment: eventOf(*a), ConfirmedAt: now.UTC()}, now)
		return []bus.Event{ev}, err
	})
}

// Decline gives the tour up on behalf of its realtor; it is assigned to
// someone else (never them again).
func (s *Service) Decline(ctx context.Context, id, realtorID string) (appointment, error) {
	now := s.cfg.Clock.Now()
	a, err := s.store.ChangeAppointment(ctx, id, func(a *appointment, r *request) ([]bus.Event, error) {
		if err := a.Decline(realtorID, now); err != nil {
			return nil, err
		}
		rel, err := bus.NewEvent(ctx, events.TypeAppointmentReleased, a.TourID, events.AppointmentReleased{
			Appointment: eventOf(*a), Reason: reasonDeclined, ReleasedAt: now.UTC()}, now)
		if err != nil {
			return nil, err
		}
		if r.State != "" && r.State != closed {
			r.Declined = append(r.Declined, realtorID)
			r.State, r.UpdatedAt = assigning, now.UTC()
		}
		return []bus.Event{rel}, nil
	})
	if err != nil {
		return appointment{}, err
	}
	s.giveBack(ctx, &a)
	if err := s.Assign(ctx, a.TourID); err != nil {
		s.cfg.Log.WarnContext(ctx, "reassign after decline", "tour_id", a.TourID, "err", err)
	}
	return a, nil
}

// ScheduleOf is the schedule half of a realtor profile (time off, daily
// cap, zone) as of at.
func scheduleOf(zone string, maxPerDay int, timeOff []events.TimeOff, at time.Time) schedule {
	s := schedule{TimeZone: zone, MaxPerDay: maxPerDay, TimeOff: make([]span, len(timeOff)), ScheduleAt: at.UTC()}
	for i, t := range timeOff {
		s.TimeOff[i] = span{t.Start.UTC(), t.End.UTC()}
	}
	return s
}

// onBusyChanged keeps the busy blocks of a realtor's own calendar, which
// Book and PlaceHold never book over. Blocks removed may free the realtor
// for waiting tours.
func (s *Service) onBusyChanged(ctx context.Context, ev bus.Event) error {
	b, err := bus.DataOf[events.RealtorBusyChanged](ev)
	if err != nil {
		return err
	}
	at := b.At
	if at.IsZero() {
		at = ev.Time()
	}
	busy := make([]span, len(b.Blocks))
	for i, k := range b.Blocks {
		busy[i] = span{k.Start.UTC(), k.End.UTC()}
	}
	if err := s.store.SetBusy(ctx, b.RealtorID, busy, at); err != nil {
		return err
	}
	return s.RetryWaiting(ctx)
}

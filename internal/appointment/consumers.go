package appointment

import (
	"context"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

func data[T any](ev bus.Event) (T, error) {
	var v T
	if err := ev.DataAs(&v); err != nil {
		return v, bus.Permanent(err)
	}
	return v, nil
}

// release ends an active appointment and says so.
func (s *Service) release(ctx context.Context, a *Appointment, reason string, now time.Time) (bus.Event, error) {
	a.Status, a.ReleaseReason, a.UpdatedAt = Released, reason, now.UTC()
	return bus.NewEvent(ctx, events.TypeAppointmentReleased, a.TourID, events.AppointmentReleased{
		Appointment: eventOf(*a), Reason: reason, ReleasedAt: now.UTC()}, now)
}

// giveBack frees a released appointment's hold in availability at once
// (availability would also do it on the released event).
func (s *Service) giveBack(ctx context.Context, a *Appointment) {
	if a == nil {
		return
	}
	if err := s.avail.Release(ctx, a.RealtorID, a.TourID, a.StartsAt, a.EndsAt); err != nil {
		s.cfg.Log.WarnContext(ctx, "release hold", "realtor_id", a.RealtorID, "tour_id", a.TourID, "err", err)
	}
}

func requestOf(t events.Tour) Request {
	r := Request{TourID: t.TourID, CustomerID: t.CustomerID, StartsAt: t.ScheduledAt.UTC(), EndsAt: t.EndsAt.UTC(),
		Version: t.Version, State: Assigning}
	for _, st := range t.Stops {
		r.ListingIDs = append(r.ListingIDs, st.ListingID)
		r.Stops = append(r.Stops, st.Location)
	}
	return r
}

func (s *Service) onTourCreated(ctx context.Context, ev bus.Event) error {
	t, err := data[events.TourCreated](ev)
	if err != nil {
		return err
	}
	now := s.cfg.Clock.Now()
	err = s.store.ChangeRequest(ctx, ev.ID(), t.TourID, func(r *Request, _ *Appointment) ([]bus.Event, error) {
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
	t, err := data[events.TourRescheduled](ev)
	if err != nil {
		return err
	}
	now := s.cfg.Clock.Now()
	var released *Appointment
	err = s.store.ChangeRequest(ctx, ev.ID(), t.TourID, func(r *Request, active *Appointment) ([]bus.Event, error) {
		if r.State == Closed || (r.State != "" && r.Version >= t.Version) {
			return nil, nil
		}
		var out []bus.Event
		if active != nil {
			rel, err := s.release(ctx, active, "rescheduled", now)
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
	t, err := data[events.TourCancelled](ev)
	if err != nil {
		return err
	}
	return s.close(ctx, ev.ID(), t.TourID, "cancelled")
}

func (s *Service) onTourCompleted(ctx context.Context, ev bus.Event) error {
	t, err := data[events.TourCompleted](ev)
	if err != nil {
		return err
	}
	now := s.cfg.Clock.Now()
	return s.store.ChangeRequest(ctx, ev.ID(), t.TourID, func(r *Request, _ *Appointment) ([]bus.Event, error) {
		if r.State != "" {
			r.State, r.UpdatedAt = Closed, now.UTC()
		}
		return nil, nil
	})
}

// close ends a tour's request, releasing its realtor.
func (s *Service) close(ctx context.Context, eventID, tourID, reason string) error {
	now := s.cfg.Clock.Now()
	var released *Appointment
	err := s.store.ChangeRequest(ctx, eventID, tourID, func(r *Request, active *Appointment) ([]bus.Event, error) {
		if r.State == "" {
			r.TourID, r.StartsAt, r.EndsAt = tourID, now.UTC(), now.UTC() // remember it, so a late "created" changes nothing
		}
		r.State, r.UpdatedAt = Closed, now.UTC()
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
	return s.retryIfFreed(ctx, released)
}

// retryIfFreed gives waiting tours a chance at a realtor who just freed up.
func (s *Service) retryIfFreed(ctx context.Context, released *Appointment) error {
	if released == nil {
		return nil
	}
	return s.RetryWaiting(ctx)
}

// onRealtorChanged: a realtor joined, came back, or changed hours or area;
// waiting tours may fit now.
func (s *Service) onRealtorChanged(ctx context.Context, ev bus.Event) error {
	p, err := data[events.RealtorProfileChanged](ev)
	if err != nil {
		return err
	}
	if !p.Verified || !p.Active || p.Status != "available" {
		return nil
	}
	return s.RetryWaiting(ctx)
}

// Confirm records that the assigned realtor confirms the tour.
func (s *Service) Confirm(ctx context.Context, id, realtorID string) (Appointment, error) {
	now := s.cfg.Clock.Now()
	return s.store.ChangeAppointment(ctx, id, func(a *Appointment, _ *Request) ([]bus.Event, error) {
		if a.RealtorID != realtorID {
			return nil, ErrNotAllowed
		}
		switch a.Status {
		case Released:
			return nil, ErrReleased
		case Confirmed:
			return nil, nil
		}
		a.Status, a.UpdatedAt = Confirmed, now.UTC()
		ev, err := bus.NewEvent(ctx, events.TypeAppointmentConfirmed, a.TourID, events.AppointmentConfirmed{
			Appointment: eventOf(*a), ConfirmedAt: now.UTC()}, now)
		return []bus.Event{ev}, err
	})
}

// Decline gives the tour up on behalf of its realtor; it is assigned to
// someone else (never them again).
func (s *Service) Decline(ctx context.Context, id, realtorID string) (Appointment, error) {
	now := s.cfg.Clock.Now()
	a, err := s.store.ChangeAppointment(ctx, id, func(a *Appointment, r *Request) ([]bus.Event, error) {
		if a.RealtorID != realtorID {
			return nil, ErrNotAllowed
		}
		if !a.Active() {
			return nil, ErrReleased
		}
		rel, err := s.release(ctx, a, "declined", now)
		if err != nil {
			return nil, err
		}
		if r.State != "" && r.State != Closed {
			r.Declined = append(r.Declined, realtorID)
			r.State, r.UpdatedAt = Assigning, now.UTC()
		}
		return []bus.Event{rel}, nil
	})
	if err != nil {
		return Appointment{}, err
	}
	s.giveBack(ctx, &a)
	if err := s.Assign(ctx, a.TourID); err != nil {
		s.cfg.Log.WarnContext(ctx, "reassign after decline", "tour_id", a.TourID, "err", err)
	}
	return a, nil
}

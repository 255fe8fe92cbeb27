package availability

import (
	"context"
	"errors"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// watch is one stream the index is fed from.
type watch struct {
	stream string
	types  []string
	handle func(ctx context.Context, ev bus.Event)
}

// watches: realtor profiles and busy blocks from iam; slots from
// appointment. The
// appointment service's database is the truth about bookings: the index
// follows it, and says so in the log when the two disagree.
func (s *Service) watches() []watch {
	return []watch{
		{"iam", []string{events.TypeRealtorProfileChanged, events.TypeRealtorBusyChanged}, s.onIAM},
		{"appointment", []string{events.TypeHoldPlaced, events.TypeHoldReleased, events.TypeAppointmentScheduled, events.TypeAppointmentReleased}, s.onAppointment},
	}
}

func (s *Service) onIAM(ctx context.Context, ev bus.Event) {
	if ev.Type() == events.TypeRealtorBusyChanged {
		s.onBusyChanged(ctx, ev)
		return
	}
	s.onProfileChanged(ctx, ev)
}

// onBusyChanged replaces the busy blocks of a realtor's own calendar.
func (s *Service) onBusyChanged(ctx context.Context, ev bus.Event) {
	var e events.RealtorBusyChanged
	if err := ev.DataAs(&e); err != nil {
		s.cfg.Log.Warn("undecodable busy blocks skipped", "event_id", ev.ID(), "err", err)
		return
	}
	at := e.At
	if at.IsZero() {
		at = ev.Time()
	}
	blocks := make([]Span, len(e.Blocks))
	for i, b := range e.Blocks {
		blocks[i] = Span{Start: b.Start, End: b.End}
	}
	s.report(ev, "realtor_id", e.RealtorID, s.index.PutBusy(ctx, e.RealtorID, blocks, at))
}

func (s *Service) onProfileChanged(ctx context.Context, ev bus.Event) {
	var e events.RealtorProfileChanged
	if err := ev.DataAs(&e); err != nil {
		s.cfg.Log.Warn("undecodable realtor profile skipped", "event_id", ev.ID(), "err", err)
		return
	}
	r := realtorOf(e)
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = ev.Time()
	}
	if err := r.Validate(); err != nil {
		s.cfg.Log.Warn("realtor profile kept but never offered", "event_id", ev.ID(), "realtor_id", r.ID, "err", err)
	}
	s.report(ev, "realtor_id", r.ID, s.index.PutRealtor(ctx, r))
}

// RealtorOf is the index's view of iam's profile event.
func realtorOf(e events.RealtorProfileChanged) Realtor {
	r := Realtor{
		ID:              e.RealtorID,
		ServiceRadiusKM: e.ServiceRadiusKM,
		TimeZone:        e.TimeZone,
		WorkingHours:    make([]WorkingHours, len(e.WorkingHours)),
		Status:          Status(e.Status),
		Verified:        e.Verified,
		Active:          e.Active,
		MaxToursPerDay:  e.MaxToursPerDay,
		UpdatedAt:       e.At,
	}
	for _, t := range e.TimeOff {
		r.TimeOff = append(r.TimeOff, Span{Start: t.Start, End: t.End})
	}
	if e.Location != nil {
		r.Location = &Point{Lat: e.Location.Lat, Lng: e.Location.Lng}
	}
	for i, w := range e.WorkingHours {
		r.WorkingHours[i] = WorkingHours{Weekday: w.Weekday, Start: w.Start, End: w.End}
	}
	return r
}

func (s *Service) onAppointment(ctx context.Context, ev bus.Event) {
	switch ev.Type() {
	case events.TypeHoldPlaced:
		var e events.HoldPlaced
		if err := ev.DataAs(&e); err != nil {
			s.cfg.Log.Warn("undecodable hold skipped", "event_id", ev.ID(), "err", err)
			return
		}
		err := s.index.Reserve(ctx, e.RealtorID, e.HoldID, e.StartsAt, e.EndsAt)
		if errors.Is(err, errTaken) {
			s.cfg.Log.Warn("hold overlaps another in the index", "event_id", ev.ID(), "hold_id", e.HoldID, "realtor_id", e.RealtorID, "err", err)
			return
		}
		s.report(ev, "hold_id", e.HoldID, err)
	case events.TypeHoldReleased:
		var e events.HoldReleased
		if err := ev.DataAs(&e); err != nil {
			s.cfg.Log.Warn("undecodable hold skipped", "event_id", ev.ID(), "err", err)
			return
		}
		s.report(ev, "hold_id", e.HoldID, s.index.Release(ctx, e.RealtorID, e.HoldID, e.StartsAt, e.EndsAt))
	case events.TypeAppointmentScheduled:
		var e events.AppointmentScheduled
		if err := ev.DataAs(&e); err != nil {
			s.cfg.Log.Warn("undecodable appointment skipped", "event_id", ev.ID(), "err", err)
			return
		}
		// Booked from a hold kept under another key or on another
		// realtor: the hold's mark moves to the booking.
		if e.HoldID != "" && (e.HoldID != e.TourID || e.HoldRealtorID != e.RealtorID) {
			if err := s.index.Release(ctx, e.HoldRealtorID, e.HoldID, time.Time{}, time.Time{}); err != nil {
				s.report(ev, "hold_id", e.HoldID, err)
				return
			}
		}
		err := s.index.Reserve(ctx, e.RealtorID, e.TourID, e.StartsAt, e.EndsAt)
		if errors.Is(err, errTaken) {
			// The appointment database says the realtor has this tour; the
			// index holds another one there. Keep the index's hold: the
			// release of the other tour, if it comes, frees the slot.
			s.cfg.Log.Warn("scheduled appointment overlaps another hold in the index",
				"event_id", ev.ID(), "tour_id", e.TourID, "realtor_id", e.RealtorID, "err", err)
			return
		}
		s.report(ev, "tour_id", e.TourID, err)
	case events.TypeAppointmentReleased:
		var e events.AppointmentReleased
		if err := ev.DataAs(&e); err != nil {
			s.cfg.Log.Warn("undecodable appointment skipped", "event_id", ev.ID(), "err", err)
			return
		}
		s.report(ev, "tour_id", e.TourID, s.index.Release(ctx, e.RealtorID, e.TourID, e.StartsAt, e.EndsAt))
	}
}

// report logs the outcome of applying ev. An event the index refuses as
// invalid is skipped; any other failure leaves the index behind the
// stream, so the next tick of Run rebuilds it.
func (s *Service) report(ev bus.Event, key, id string, err error) {
	switch {
	case err == nil, errors.Is(err, context.Canceled): // shutting down
	case errors.Is(err, errInvalid):
		s.cfg.Log.Warn("event refused by the availability index", "event_id", ev.ID(), "type", ev.Type(), key, id, "err", err)
	default:
		s.stale.Store(true)
		s.cfg.Log.Error("event not applied to the availability index; it will be rebuilt",
			"event_id", ev.ID(), "type", ev.Type(), key, id, "err", err)
	}
}

package iam

import (
	"context"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/platform/fault"
)

// ScheduleGate is where double booking is prevented (the appointment
// service, clients.Schedules): it takes a realtor's time off and daily cap
// before iam saves them, under the lock its holds and bookings take.
//
// Apply answers the holds and bookings the time off would cover (then it
// recorded nothing), or none once it recorded the schedule. An error means
// it could not be asked; iam then saves nothing. It may be called
// concurrently and again with the same schedule.
type ScheduleGate interface {
	Apply(ctx context.Context, realtorID string, s clients.RealtorSchedule) ([]clients.BookedTour, error)
}

// ScheduleConflictError is time off over tours the realtor holds or is
// booked for: nothing was saved.
type scheduleConflictError struct {
	Tours []clients.BookedTour
}

func (e *scheduleConflictError) Error() string {
	if len(e.Tours) == 1 {
		return "the time off covers a tour you are booked for"
	}
	return fmt.Sprintf("the time off covers %d tours you are booked for", len(e.Tours))
}

// Answer is a conflict of type clients.TypeTimeOffConflict naming the tours.
func (e *scheduleConflictError) Answer() fault.Answer {
	return fault.Answer{Kind: fault.KindConflict, Detail: e.Error(), Type: clients.TypeTimeOffConflict,
		Title: "Time off over booked tours", Extensions: map[string]any{"tours": e.Tours}}
}

// ErrScheduleUnavailable: the appointment service could not be asked, so
// the time off or cap was not saved; try again.
var errScheduleUnavailable = fault.Unavailable("the booking service could not check the time off; try again").WithWholeText()

// touchesSchedule: the change sets time off or the daily cap.
func (c profileChange) touchesSchedule() bool { return c.TimeOff != nil || c.MaxToursPerDay != nil }

// gateSchedule asks the appointment service to take the schedule p would
// have after c at now. The order (appointment first, under its lock, then
// iam's save and event) is what keeps a booking from landing in new time
// off: once Apply answers, appointment holds and bookings go by it. If
// iam's save then fails, appointment keeps the stricter schedule until the
// realtor's next change (its event carries the whole schedule again).
func (s *Service) gateSchedule(ctx context.Context, p realtorProfile, c profileChange, now time.Time) error {
	if s.cfg.Schedules == nil || !c.touchesSchedule() {
		return nil
	}
	next := p
	if err := next.Apply(c, now); err != nil {
		return err
	}
	sch := clients.RealtorSchedule{TimeZone: next.TimeZone, MaxToursPerDay: next.MaxToursPerDay, At: now.UTC(),
		TimeOff: make([]clients.Span, len(next.TimeOff))}
	for i, t := range next.TimeOff {
		sch.TimeOff[i] = clients.Span{Start: t.Start, End: t.End}
	}
	tours, err := s.cfg.Schedules.Apply(ctx, p.UserID, sch)
	if err != nil {
		s.cfg.Log.WarnContext(ctx, "schedule check failed", "realtor_id", p.UserID, "err", err)
		return errScheduleUnavailable
	}
	if len(tours) > 0 {
		return &scheduleConflictError{Tours: tours}
	}
	return nil
}

// timeOffConflict is the 409 of PATCH /iam/me, for the API document.
type timeOffConflict struct {
	Type     string               `json:"type" enum:"urn:openhouse:problem:time-off-conflict"`
	Title    string               `json:"title"`
	Status   int                  `json:"status" enum:"409"`
	Detail   string               `json:"detail"`
	Instance string               `json:"instance,omitempty"`
	Tours    []clients.BookedTour `json:"tours" doc:"The holds and bookings the time off would cover."`
}

package notification

import (
	"context"
	"errors"
	"time"
)

// composeError marks a reminder that could not be turned into a
// notification, as opposed to a database failure: the reminder is marked
// failed so it does not hold up the ones behind it.
type composeError struct {
	id  string
	err error
}

func (e composeError) Error() string { return "reminder " + e.id + ": " + e.err.Error() }
func (e composeError) Unwrap() error { return e.err }

// fireDue fires every reminder due by now, one transaction each: the
// reminder's new state, its notification, deliveries and event commit
// together, so each reminder fires once, whatever crashes or other
// instances do.
func (s *Service) fireDue(ctx context.Context) (int, error) {
	done := 0
	for ctx.Err() == nil {
		now := s.cfg.Clock.Now().UTC()
		var sent []notification
		found, err := s.store.FireNext(ctx, now, func(ctx context.Context, v view, r reminder) (reminderState, changes, error) {
			state, ch, err := s.decideReminder(ctx, v, r, now)
			if err != nil {
				return "", changes{}, composeError{r.ID, err}
			}
			sent = ch.Notifications
			return state, ch, nil
		})
		if err == nil && found {
			s.metrics.inboxed(sent)
		}
		var ce composeError
		switch {
		case errors.As(err, &ce) && ctx.Err() == nil:
			s.cfg.Log.ErrorContext(ctx, "reminder could not be composed; marked failed", "reminder_id", ce.id, "err", ce.err)
			if err := s.store.FailReminder(ctx, ce.id, now); err != nil {
				return done, err
			}
		case err != nil:
			return done, err
		case !found:
			return done, nil
		}
		done++
	}
	return done, ctx.Err()
}

// decideReminder applies DecideFire and, to send, composes the reminder in
// the recipient's zone.
func (s *Service) decideReminder(ctx context.Context, v view, r reminder, now time.Time) (reminderState, changes, error) {
	ch := changes{At: now}
	tour, ok, err := v.Tour(ctx, r.TourID)
	if err != nil {
		return "", ch, err
	}
	newer, err := v.NewerReminderDue(ctx, r, now)
	if err != nil {
		return "", ch, err
	}
	switch decideFire(r, tour, ok, newer, now) {
	case fireCancel:
		return reminderCancelled, ch, nil
	case fireSkip:
		s.cfg.Log.InfoContext(ctx, "reminder skipped: too late", "reminder_id", r.ID, "tour_id", r.TourID, "due_at", r.DueAt)
		return reminderSkipped, ch, nil
	}
	if err := s.notify(ctx, v, &ch, kindTourReminder, r.UserID, r.Role, tour, details{Offset: r.Offset}, r.DueAt); err != nil {
		return "", ch, err
	}
	return reminderSent, ch, nil
}

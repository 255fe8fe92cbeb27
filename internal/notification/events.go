package notification

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// consumer is the durable consumer name of this service on every stream
// it reads. It is API: renaming it replays the streams.
const consumer = "notification"

// Subscriptions: the address book follows iam; notifications and reminders
// follow the tour service; a realtor's confirmation comes from the
// appointment service.
func (s *Service) Subscriptions() []bus.Subscription {
	return []bus.Subscription{
		{
			Consumer: consumer,
			Stream:   "iam",
			Handlers: map[string]bus.Handler{
				events.TypeUserRegistered:        s.onUserRegistered,
				events.TypeUserUpdated:           s.onUserUpdated,
				events.TypeRealtorProfileChanged: s.onRealtorProfileChanged,
				events.TypeCalendarTokenIssued:   s.onCalendarTokenIssued,
			},
		},
		{
			Consumer: consumer,
			Stream:   "listing",
			Handlers: map[string]bus.Handler{
				events.TypeListingCreated: s.onListingCreated,
				events.TypeListingUpdated: s.onListingUpdated,
			},
		},
		{
			Consumer: consumer,
			Stream:   "tour",
			Handlers: map[string]bus.Handler{
				events.TypeTourScheduled:   s.onTourScheduled,
				events.TypeTourRescheduled: s.onTourRescheduled,
				events.TypeTourCancelled:   s.onTourCancelled,
				events.TypeTourUnassigned:  s.onTourUnassigned,
				// approvals.go
				events.TypeTourApprovalRequested: s.onTourApprovalRequested,
				events.TypeTourStopDeclined:      s.onTourStopDeclined,
				// The visit's news (visits.go).
				events.TypeTourAccessOpened:  s.onTourAccessOpened,
				events.TypeFeedbackRequested: s.onFeedbackRequested,
			},
		},
		{
			Consumer: consumer,
			Stream:   "appointment",
			Handlers: map[string]bus.Handler{
				events.TypeAppointmentScheduled: s.onAppointmentScheduled,
				events.TypeAppointmentConfirmed: s.onAppointmentConfirmedBoth,
				events.TypeAppointmentReleased:  s.onAppointmentReleased,
			},
		},
	}
}

// --- the address book

func (s *Service) onUserRegistered(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.UserRegistered](ev)
	if err != nil {
		return err
	}
	return s.updateContact(ctx, ev, contactUpdate{UserID: e.UserID, Email: &e.Email, Name: &e.Name, Role: e.Role, At: e.RegisteredAt})
}

func (s *Service) onUserUpdated(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.UserUpdated](ev)
	if err != nil {
		return err
	}
	u := contactUpdate{UserID: e.UserID, Name: &e.Name, At: e.At}
	if e.Email != "" {
		u.Email = &e.Email
	}
	return s.updateContact(ctx, ev, u)
}

func (s *Service) onRealtorProfileChanged(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.RealtorProfileChanged](ev)
	if err != nil {
		return err
	}
	u := contactUpdate{UserID: e.RealtorID, Role: roleRealtor, TimeZone: &e.TimeZone, At: e.At}
	if e.Name != "" {
		u.Name = &e.Name
	}
	return s.updateContact(ctx, ev, u)
}

func (s *Service) updateContact(ctx context.Context, ev bus.Event, u contactUpdate) error {
	if u.UserID == "" {
		return bus.Permanent(fmt.Errorf("%s %s: no user id", ev.Type(), ev.ID()))
	}
	if u.At.IsZero() {
		u.At = ev.Time()
	}
	return s.store.UpdateContact(ctx, ev.ID(), u.UserID, func(c *contact) { *c = c.Apply(u) })
}

// --- the calendar feeds' tokens and places

func (s *Service) onCalendarTokenIssued(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.CalendarTokenIssued](ev)
	if err != nil {
		return err
	}
	if e.UserID == "" || e.TokenHash == "" || e.Generation < 1 {
		return bus.Permanent(fmt.Errorf("%s %s: incomplete calendar token", ev.Type(), ev.ID()))
	}
	return s.store.PutFeedToken(ctx, ev.ID(), feedToken{UserID: e.UserID, Role: e.Role, Hash: e.TokenHash, Generation: e.Generation, At: e.At})
}

func (s *Service) onListingCreated(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.ListingCreated](ev)
	if err != nil {
		return err
	}
	return s.putPlace(ctx, ev, e.Listing)
}

func (s *Service) onListingUpdated(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.ListingUpdated](ev)
	if err != nil {
		return err
	}
	return s.putPlace(ctx, ev, e.Listing)
}

func (s *Service) putPlace(ctx context.Context, ev bus.Event, l events.Listing) error {
	if l.ID == "" {
		return bus.Permanent(fmt.Errorf("%s %s: listing without id", ev.Type(), ev.ID()))
	}
	at := l.UpdatedAt
	if at.IsZero() {
		at = ev.Time()
	}
	return s.store.PutPlace(ctx, ev.ID(), placeOf(l), at)
}

// --- assignments, for Y and N replies

func (s *Service) onAppointmentScheduled(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.AppointmentScheduled](ev)
	if err != nil {
		return err
	}
	return s.putAssignment(ctx, ev, e.Appointment, "scheduled", e.ScheduledAt)
}

// onAppointmentConfirmedBoth keeps the assignment's new status (so a later
// Y or N does not answer it again) and tells the customer; each is applied
// once per event under its own inbox scope, so a retry of the second
// repeats nothing of the first.
func (s *Service) onAppointmentConfirmedBoth(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.AppointmentConfirmed](ev)
	if err != nil {
		return err
	}
	if err := s.putAssignment(ctx, ev, e.Appointment, "confirmed", e.ConfirmedAt); err != nil {
		return err
	}
	return s.onAppointmentConfirmed(ctx, ev)
}

func (s *Service) onAppointmentReleased(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.AppointmentReleased](ev)
	if err != nil {
		return err
	}
	return s.putAssignment(ctx, ev, e.Appointment, "released", e.ReleasedAt)
}

func (s *Service) putAssignment(ctx context.Context, ev bus.Event, a events.Appointment, status string, at time.Time) error {
	if a.AppointmentID == "" || a.RealtorID == "" {
		return bus.Permanent(fmt.Errorf("%s %s: appointment without id or realtor", ev.Type(), ev.ID()))
	}
	if at.IsZero() {
		at = ev.Time()
	}
	return s.store.PutAssignment(ctx, ev.ID(), assignment{AppointmentID: a.AppointmentID, TourID: a.TourID, RealtorID: a.RealtorID, Status: status, At: at})
}

// --- tours

func (s *Service) onTourScheduled(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.TourScheduled](ev)
	if err != nil {
		return err
	}
	return s.applyTour(ctx, ev, e.Tour, func(ctx context.Context, v view, ch *changes) error {
		users := map[string]string{e.CustomerID: roleCustomer}
		if err := s.notify(ctx, v, ch, kindTourScheduled, e.CustomerID, roleCustomer, e.Tour, details{}, ch.At); err != nil {
			return err
		}
		if e.RealtorID != "" {
			users[e.RealtorID] = roleRealtor
			if err := s.notify(ctx, v, ch, kindTourScheduled, e.RealtorID, roleRealtor, e.Tour, details{}, ch.At); err != nil {
				return err
			}
		}
		for user, role := range users {
			prefs, err := v.Preferences(ctx, user)
			if err != nil {
				return err
			}
			offsets := prefs.ReminderOffsets
			if offsets == nil {
				offsets = s.cfg.ReminderOffsets
			}
			ch.Reminders = append(ch.Reminders, planReminders(e.Tour, map[string]string{user: role}, offsets, ch.At, uuid.NewString)...)
		}
		return nil
	})
}

func (s *Service) onTourRescheduled(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.TourRescheduled](ev)
	if err != nil {
		return err
	}
	return s.applyTour(ctx, ev, e.Tour, func(ctx context.Context, v view, ch *changes) error {
		return s.notify(ctx, v, ch, kindTourRescheduled, e.CustomerID, roleCustomer, e.Tour, details{Previous: e.PreviousScheduledAt}, ch.At)
	})
}

func (s *Service) onTourCancelled(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.TourCancelled](ev)
	if err != nil {
		return err
	}
	return s.applyTour(ctx, ev, e.Tour, func(ctx context.Context, v view, ch *changes) error {
		d := details{Reason: e.Reason, Refund: e.Refund}
		if err := s.notify(ctx, v, ch, kindTourCancelled, e.CustomerID, roleCustomer, e.Tour, d, ch.At); err != nil {
			return err
		}
		if e.RealtorID != "" {
			return s.notify(ctx, v, ch, kindTourCancelled, e.RealtorID, roleRealtor, e.Tour, d, ch.At)
		}
		return nil
	})
}

func (s *Service) onTourUnassigned(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.TourUnassigned](ev)
	if err != nil {
		return err
	}
	return s.applyTour(ctx, ev, e.Tour, func(ctx context.Context, v view, ch *changes) error {
		return s.notify(ctx, v, ch, kindTourUnassigned, e.CustomerID, roleCustomer, e.Tour, details{}, ch.At)
	})
}

// errTourBehind is a confirmation that arrived before the tour's own news
// (the two come on different streams): it is retried until that news is
// applied.
var errTourBehind = errors.New("the tour's news has not arrived yet")

// onAppointmentConfirmed tells the customer that the realtor confirmed,
// once per confirmation, if the tour still stands as confirmed: scheduled,
// upcoming, with that realtor at that time. A confirmation of an
// assignment since given up (declined, rescheduled, cancelled) or of a
// past tour (a stream replayed to a new consumer) tells nobody.
func (s *Service) onAppointmentConfirmed(ctx context.Context, ev bus.Event) error {
	e, err := bus.DataOf[events.AppointmentConfirmed](ev)
	if err != nil {
		return err
	}
	if e.TourID == "" {
		return bus.Permanent(fmt.Errorf("%s %s: no tour id", ev.Type(), ev.ID()))
	}
	var sent []notification
	err = s.store.Apply(ctx, ev.ID(), "tour:"+e.TourID, func(ctx context.Context, v view) (changes, error) {
		sent = nil
		t, known, err := v.Tour(ctx, e.TourID)
		if err != nil {
			return changes{}, err
		}
		now := s.cfg.Clock.Now().UTC()
		switch {
		case !known || t.ScheduledAt.Equal(e.StartsAt) && t.Status == "pending":
			return changes{}, fmt.Errorf("confirmation of tour %s: %w", e.TourID, errTourBehind)
		case t.Status != "scheduled" || t.RealtorID != e.RealtorID || !t.ScheduledAt.Equal(e.StartsAt) || !t.ScheduledAt.After(now):
			return changes{}, nil
		}
		ch := changes{At: now}
		if err := s.notify(ctx, v, &ch, kindTourConfirmed, t.CustomerID, roleCustomer, t, details{}, now); err != nil {
			return changes{}, err
		}
		sent = ch.Notifications
		return ch, nil
	})
	if err == nil {
		s.metrics.inboxed(sent)
	}
	return err
}

// applyTour applies one tour event once: news older than what was applied
// is ignored; otherwise the tour's snapshot is replaced, the reminders of
// older versions are cancelled (any news voids them; a tour scheduled
// again gets new ones), and tell adds what this kind of news says to whom.
func (s *Service) applyTour(ctx context.Context, ev bus.Event, t events.Tour, tell func(ctx context.Context, v view, ch *changes) error) error {
	if t.TourID == "" || t.CustomerID == "" {
		return bus.Permanent(fmt.Errorf("%s %s: tour without id or customer", ev.Type(), ev.ID()))
	}
	var sent []notification
	err := s.store.Apply(ctx, ev.ID(), "tour:"+t.TourID, func(ctx context.Context, v view) (changes, error) {
		sent = nil
		prev, known, err := v.Tour(ctx, t.TourID)
		if err != nil {
			return changes{}, err
		}
		if stale(known, prev.Version, t.Version) {
			s.cfg.Log.InfoContext(ctx, "stale tour event ignored", "event_id", ev.ID(), "tour_id", t.TourID,
				"version", t.Version, "applied_version", prev.Version)
			return changes{}, nil
		}
		ch := changes{Tour: &t, CancelBefore: t.Version, At: s.cfg.Clock.Now().UTC()}
		if err := tell(ctx, v, &ch); err != nil {
			return changes{}, err
		}
		sent = ch.Notifications
		return ch, nil
	})
	if err == nil {
		s.metrics.inboxed(sent)
	}
	return err
}

// notify adds one notification to ch: the inbox item (delivered at once,
// and announced), and an email and a webhook delivery where those
// channels apply. sendAt is when it was meant to go (a reminder's due time).
func (s *Service) notify(ctx context.Context, v view, ch *changes, kind Kind, userID, role string, t events.Tour, d details, sendAt time.Time) error {
	c, err := v.Contact(ctx, userID)
	if err != nil {
		return err
	}
	zone := zoneFor(t.TimeZone)
	if role == roleRealtor {
		zone = zoneFor(c.TimeZone, t.TimeZone)
	}
	if d.OtherName == "" {
		other := t.RealtorID
		if role == roleRealtor {
			other = t.CustomerID
		}
		if other != "" {
			oc, err := v.Contact(ctx, other)
			if err != nil {
				return err
			}
			d.OtherName = oc.Name
		}
	}
	msg := compose(kind, recipient{UserID: userID, Role: role, Name: c.Name, Zone: zone}, t, d)
	now := ch.At
	n := notification{ID: uuid.NewString(), UserID: userID, Kind: kind, TourID: t.TourID, Channel: channelInbox,
		Subject: msg.Subject, Body: msg.Body, SendAt: sendAt.UTC(), SentAt: now}
	ch.Notifications = append(ch.Notifications, n)
	ch.Sent = append(ch.Sent, sentEvent(n, channelInbox, now))

	prefs, err := v.Preferences(ctx, userID)
	if err != nil {
		return err
	}
	topic := topicOf(kind)
	// What is not urgent waits for the end of the user's quiet hours.
	due := now
	if q := prefs.Quiet; q != nil && !urgent(topic) {
		if until, quiet := q.QuietUntil(now, zoneFor(prefs.TimeZone, c.TimeZone)); quiet {
			due = until
		}
	}
	queue := func(via channel, payload any) error {
		raw, err := json.Marshal(payload)
		if err != nil {
			return err
		}
		ch.Deliveries = append(ch.Deliveries, delivery{ID: uuid.NewString(), NotificationID: n.ID, UserID: userID,
			Channel: via, Kind: kind, TourID: t.TourID, Payload: raw, State: deliveryPending, NextAttemptAt: due})
		return nil
	}
	if s.cfg.Mailer != nil && prefs.Wants(topic, channelEmail) {
		invite := inviteFor(kind, t, now)
		if kind == kindApprovalRequest || kind == kindFeedbackRequest {
			invite = nil // not on a calendar: asked, not booked (or over)
		}
		if err := queue(channelEmail, email{Subject: msg.Subject, Text: msg.Body, Invite: invite}); err != nil {
			return err
		}
	}
	if s.cfg.SMS != nil && prefs.Wants(topic, channelSMS) {
		phone, err := v.Phone(ctx, userID)
		if err != nil {
			return err
		}
		if phone.Usable() {
			if err := queue(channelSMS, smsPayload{Body: smsText(msg, kind, role), Role: role}); err != nil {
				return err
			}
		}
	}
	hook, err := v.HasWebhook(ctx, userID)
	if err != nil {
		return err
	}
	if hook && prefs.Wants(topic, channelWebhook) {
		body := WebhookBody{ID: n.ID, Type: "notification", Kind: kind, UserID: userID, TourID: t.TourID,
			Subject: msg.Subject, Body: msg.Body, SendAt: n.SendAt, CreatedAt: now,
			Tour: WebhookTour{TourID: t.TourID, Status: t.Status, ScheduledAt: t.ScheduledAt.UTC(), EndsAt: t.EndsAt.UTC(),
				TimeZone: t.TimeZone, RealtorID: t.RealtorID, Version: t.Version}}
		if err := queue(channelWebhook, body); err != nil {
			return err
		}
	}
	return nil
}

func sentEvent(n notification, via channel, at time.Time) events.NotificationSent {
	return events.NotificationSent{NotificationID: n.ID, UserID: n.UserID, Kind: string(n.Kind), TourID: n.TourID,
		Channel: string(via), SentAt: at.UTC()}
}

// inviteFor is the calendar entry of a tour as a kind of news leaves it:
// cancelled for a cancellation, the tour at its current time otherwise.
func inviteFor(kind Kind, t events.Tour, now time.Time) *invite {
	inv := &invite{UID: t.TourID, Sequence: t.Version, Method: methodRequest, Start: t.ScheduledAt.UTC(),
		End: t.EndsAt.UTC(), Summary: "Home tour", Stamp: now.UTC()}
	if kind == kindTourCancelled {
		inv.Method = methodCancel
		inv.Summary = "Home tour (cancelled)"
	}
	if len(t.Stops) > 0 {
		first := t.Stops[0].Title
		if first == "" {
			first = t.Stops[0].ListingID
		}
		inv.Location = first
		inv.Summary += ": " + first
		if n := len(t.Stops) - 1; n > 0 {
			inv.Summary += fmt.Sprintf(" and %d more", n)
		}
		desc := "Route:\n"
		for i, st := range t.Stops {
			title := st.Title
			if title == "" {
				title = st.ListingID
			}
			desc += fmt.Sprintf("%d. %s\n", i+1, title)
		}
		inv.Description = desc
	}
	return inv
}

package notification

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// errDropped says a delivery has nowhere left to go.
var errDropped = errors.New("nowhere to deliver")

// sendDue claims one batch of due deliveries and sends them, Workers at a
// time, each outside any transaction; the outcome (and, on success, the
// NotificationSent event) is recorded afterwards.
func (s *Service) sendDue(ctx context.Context) (int, error) {
	now := s.cfg.Clock.Now().UTC()
	batch, err := s.store.ClaimDeliveries(ctx, now, now.Add(s.cfg.Lease), s.cfg.Batch)
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	sem := make(chan struct{}, s.cfg.Workers)
	var wg sync.WaitGroup
	for _, d := range batch {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.deliver(ctx, d)
		}()
	}
	wg.Wait()
	return len(batch), nil
}

// deliver makes one attempt at d and records what came of it. If ctx ends
// during the attempt nothing is recorded: the lease runs out and another
// round tries again.
func (s *Service) deliver(ctx context.Context, d delivery) {
	var err error
	switch d.Channel {
	case channelEmail:
		err = s.sendEmail(ctx, d)
	case channelWebhook:
		err = s.sendWebhook(ctx, d)
	case channelSMS:
		err = s.sendSMS(ctx, d)
	default:
		err = fmt.Errorf("%w: unknown channel %q", errDropped, d.Channel)
	}
	if ctx.Err() != nil {
		return
	}
	now := s.cfg.Clock.Now().UTC()
	log := s.cfg.Log.With("delivery_id", d.ID, "notification_id", d.NotificationID, "channel", d.Channel, "attempt", d.Attempts)
	var o deliveryOutcome
	switch {
	case err == nil:
		n := notification{ID: d.NotificationID, UserID: d.UserID, Kind: d.Kind, TourID: d.TourID}
		sent := sentEvent(n, d.Channel, now)
		o = deliveryOutcome{State: deliveryDelivered, At: now, Sent: &sent}
	case errors.Is(err, errDropped):
		o = deliveryOutcome{State: deliveryDropped, At: now, Error: err.Error()}
		log.InfoContext(ctx, "delivery dropped", "err", err)
	default:
		o = retry(d.Attempts, s.cfg.MaxAttempts, s.cfg.RetryBase, s.cfg.RetryMax, now, err)
		if o.State == deliveryFailed {
			log.WarnContext(ctx, "delivery given up", "err", err)
		} else {
			log.InfoContext(ctx, "delivery failed; will retry", "err", err, "next_attempt_at", o.NextAttemptAt)
		}
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	recorded, ferr := s.store.FinishDelivery(rctx, d, o)
	switch {
	case ferr != nil:
		log.WarnContext(ctx, "could not record a delivery outcome; it will be retried", "err", ferr)
	case !recorded:
		log.WarnContext(ctx, "delivery lease lost before its outcome was recorded")
	default:
		s.metrics.attempted(d.Channel, o.State)
	}
}

func (s *Service) sendEmail(ctx context.Context, d delivery) error {
	if s.cfg.Mailer == nil {
		return fmt.Errorf("%w: email is not configured", errDropped)
	}
	var e email
	if err := json.Unmarshal(d.Payload, &e); err != nil {
		return fmt.Errorf("%w: bad payload: %v", errDropped, err)
	}
	c, err := s.store.Contact(ctx, d.UserID)
	if err != nil {
		return err
	}
	if c.Email == "" {
		return errors.New("no email address known for the user yet")
	}
	to := Person{Name: c.Name, Email: c.Email}
	out := OutgoingEmail{ID: d.ID, To: to, Subject: e.Subject, Text: e.Text}
	if inv := e.Invite; inv != nil {
		from := s.cfg.Mailer.From()
		inv.Organizer, inv.Attendee = &from, &to
		out.ICS, out.Method = inv.ICS(), inv.Method
	}
	return s.cfg.Mailer.Send(ctx, out)
}

func (s *Service) sendWebhook(ctx context.Context, d delivery) error {
	w, err := s.store.Webhook(ctx, d.UserID)
	if errors.Is(err, errNoWebhook) {
		return fmt.Errorf("%w: the webhook was removed", errDropped)
	}
	if err != nil {
		return err
	}
	return s.cfg.Poster.Post(ctx, w.URL, w.Secret, d.ID, d.Kind, d.Payload, s.cfg.Clock.Now())
}

// SMSPayload is what an SMS delivery sends; the number is read when it is
// sent, so a number changed, unverified or opted out since gets nothing.
type smsPayload struct {
	Body string `json:"body"`
	Role string `json:"role,omitempty"`
}

func (s *Service) sendSMS(ctx context.Context, d delivery) error {
	if s.cfg.SMS == nil {
		return fmt.Errorf("%w: SMS is not configured", errDropped)
	}
	var p smsPayload
	if err := json.Unmarshal(d.Payload, &p); err != nil {
		return fmt.Errorf("%w: bad payload: %v", errDropped, err)
	}
	phone, err := s.store.Phone(ctx, d.UserID)
	if errors.Is(err, errNoPhone) || (err == nil && !phone.Usable()) {
		return fmt.Errorf("%w: no verified phone, or it opted out", errDropped)
	}
	if err != nil {
		return err
	}
	if _, err := s.cfg.SMS.Send(ctx, phone.Number, p.Body); err != nil {
		if errors.Is(err, errSMSRejected) {
			return fmt.Errorf("%w: %v", errDropped, err)
		}
		return err
	}
	return nil
}

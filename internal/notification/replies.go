package notification

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
)

// Reply actions: what a text message sent to openhouse's number asks for.
const (
	replyConfirm = "confirm" // Y: confirm the newest assignment texted
	replyDecline = "decline" // N: decline it (the tour goes to another realtor)
	replyStop    = "stop"    // STOP and its synonyms: no more texts
	replyStart   = "start"   // START, UNSTOP: texts again
	replyOther   = "other"   // anything else: kept, nothing done
)

// parseReply reads a text's body the way Twilio's opt-out keywords and a
// Y/N prompt are read: one word, any case, surrounding blanks and
// punctuation ignored.
func parseReply(body string) string {
	w := strings.ToUpper(strings.Trim(strings.TrimSpace(body), ".!?, "))
	switch w {
	case "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE":
		return replyStop
	case "START", "UNSTOP":
		return replyStart
	case "Y", "YES", "CONFIRM":
		return replyConfirm
	case "N", "NO", "DECLINE":
		return replyDecline
	}
	return replyOther
}

// Reply is one text received from a user's verified phone.
type reply struct {
	MessageSID    string
	UserID        string
	Action        string
	State         string // pending, done, failed
	TourID        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	ReceivedAt    time.Time
}

// assignment is a realtor's appointment as the appointment events tell it.
type assignment struct {
	AppointmentID, TourID, RealtorID, Status string
	At                                       time.Time
}

// Responder confirms or declines a realtor's appointment for them
// (clients.Appointments). A clients.ErrNotPending error is final.
type Responder interface {
	Respond(ctx context.Context, realtorID, appointmentID string, confirm bool) error
}

// maxReplyAttempts bounds the tries of one Y or N.
const maxReplyAttempts = 6

// answerDue carries out the Y and N replies that are due, one
// transaction-free call each, and records the outcome.
func (s *Service) answerDue(ctx context.Context) (int, error) {
	done := 0
	for ctx.Err() == nil {
		now := s.cfg.Clock.Now().UTC()
		r, ok, err := s.store.ClaimReply(ctx, now, now.Add(s.cfg.Lease))
		if err != nil || !ok {
			return done, err
		}
		err = s.answer(ctx, r)
		if ctx.Err() != nil {
			return done, ctx.Err()
		}
		now = s.cfg.Clock.Now().UTC()
		log := s.cfg.Log.With("user_id", r.UserID, "action", r.Action)
		switch {
		case err == nil:
			err = s.store.FinishReply(ctx, r.MessageSID, "done", "", now)
			log.InfoContext(ctx, "sms reply carried out", "tour_id", r.TourID)
		case errors.Is(err, clients.ErrNotPending) || errors.Is(err, errNothingToAnswer) || r.Attempts >= maxReplyAttempts:
			err = s.store.FinishReply(ctx, r.MessageSID, "failed", truncate(err.Error(), 300), now)
			log.InfoContext(ctx, "sms reply not carried out", "err", err)
		default:
			next := now.Add(backoff(r.Attempts, 5*time.Second, 5*time.Minute))
			log.WarnContext(ctx, "sms reply failed; will retry", "err", err, "next_attempt_at", next)
			err = s.store.FinishReply(ctx, r.MessageSID, "pending", truncate(err.Error(), 300), next)
		}
		if err != nil {
			return done, err
		}
		done++
	}
	return done, ctx.Err()
}

var errNothingToAnswer = errors.New("no assignment waiting for an answer")

func (s *Service) answer(ctx context.Context, r reply) error {
	if s.cfg.Appointments == nil {
		return fmt.Errorf("%w: appointments are not reachable from here", errNothingToAnswer)
	}
	a, err := s.store.ReplyTarget(ctx, r.UserID, r.ReceivedAt)
	if err != nil {
		return err
	}
	return s.cfg.Appointments.Respond(ctx, r.UserID, a.AppointmentID, r.Action == replyConfirm)
}

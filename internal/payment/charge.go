package payment

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/openhouse/openhouse/internal/platform/idempotency"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// ErrGatewayUnavailable: the gateway did not give an answer (timeout, down).
// The payment stays pending; a retry with the same Idempotency-Key resumes
// it, and so does Run after ReconcileAfter.
var errGatewayUnavailable = fault.Unavailable("the payment gateway did not answer").
	WithDetail("the payment gateway did not answer; retry with the same Idempotency-Key").WithRetryAfter(time.Second)

// keyRef names an idempotency record.
type keyRef struct{ scope, key string }

// claim is what a request may do with its key: replay an answer, wait for
// the request in flight, or go on with the resource it holds.
type claim struct {
	answer   *recordedAnswer
	busy     bool
	resource string
	payment  payment
	refund   Refund
}

// outcome is a gateway's definite answer to a charge.
type outcome struct {
	succeeded bool
	ref       string
	reason    string
}

// Charge is POST /payments: charge in for caller under its idempotency key
// and answer with the recorded HTTP answer (201 with the payment, 402 when
// declined, 422 when the method is not accepted).
//
// The order of steps makes a crash at any point safe: the payment is
// recorded as pending with the key before the gateway is called; the
// gateway is called with a key derived from the payment, so calling it
// again returns the first result instead of charging twice; the outcome,
// the answer and the event commit in one transaction. A retry (or Run)
// after a crash between the charge and that commit calls the gateway again
// and records what it says.
func (s *Service) Charge(ctx context.Context, caller, key string, in chargeInput) (recordedAnswer, error) {
	if err := in.Validate(); err != nil {
		return recordedAnswer{}, err
	}
	if !idempotency.ValidKey(key) {
		return recordedAnswer{}, fault.ValidationError{{Field: "Idempotency-Key", Message: "must be 1 to 255 visible ASCII characters"}}
	}
	norm := in
	norm.ScheduledAt = in.ScheduledAt.UTC()
	hash, err := idempotency.Hash(norm)
	if err != nil {
		return recordedAnswer{}, err
	}
	ref := keyRef{scope: "charge:" + caller, key: key}
	c, unlock, err := s.claimKey(ctx, ref, func() (claim, error) {
		return s.claimCharge(ctx, ref, hash, newPayment(uuid.NewString(), in, key, s.cfg.Clock.Now()))
	})
	if err != nil {
		return recordedAnswer{}, err
	}
	defer unlock()
	if c.answer == nil {
		a, err := s.runCharge(ctx, c.payment, &ref)
		if err != nil {
			return recordedAnswer{}, err
		}
		c.answer = &a
	}
	a := *c.answer
	if a.Status == 201 {
		a.Location = "/payments/" + c.resource
	}
	return a, nil
}

// claimKey claims the key with try through the shared Waiter: repeats in
// this process queue on its lock, a key another process holds is read
// again every PollInterval, and both waits end after InFlightWait with
// ErrKeyInFlight. On success the caller must call unlock when done.
func (s *Service) claimKey(ctx context.Context, ref keyRef, try func() (claim, error)) (claim, func(), error) {
	var c claim
	unlock, err := s.keys.Claim(ctx, ref.scope+"\n"+ref.key, func() (bool, error) {
		var err error
		c, err = try()
		return c.busy, err
	})
	if err != nil {
		return claim{}, nil, keyFailure(err)
	}
	return c, unlock, nil
}

// claimCharge looks the key up and, in the same transaction, records fresh
// as the pending payment of a new key, or takes over the key of a request
// that has died, or reports the recorded answer or that the key is busy.
func (s *Service) claimCharge(ctx context.Context, ref keyRef, hash string, fresh payment) (claim, error) {
	now := s.cfg.Clock.Now().UTC()
	var c claim
	err := s.store.Update(ctx, func(tx storeTx) error {
		c = claim{}
		rec, err := tx.Key(ref.scope, ref.key)
		if errors.Is(err, store.ErrNotFound) {
			if err := tx.CreatePayment(fresh); err != nil {
				return err
			}
			if err := record(ctx, tx, "payment.created", "payment", fresh.ID, nil, paymentStateOf(fresh), now); err != nil {
				return err
			}
			c.resource, c.payment = fresh.ID, fresh
			return tx.CreateKey(keyRecord{Scope: ref.scope, Key: ref.key, RequestHash: hash, ResourceID: fresh.ID,
				LeaseUntil: now.Add(s.cfg.LeaseTTL), CreatedAt: now})
		}
		if err != nil {
			return err
		}
		c.resource = rec.ResourceID
		switch v, err := rec.Decide(hash, now); {
		case err != nil:
			return err
		case v == idempotency.Replay:
			c.answer = rec.Answer
			return nil
		case v == idempotency.Busy:
			c.busy = true
			return nil
		}
		p, err := tx.Payment(rec.ResourceID)
		if err != nil {
			return err
		}
		if p.Status != statusPending {
			// Settled meanwhile (a webhook, Run): answer from the state
			// and never call the gateway again.
			a := s.chargeAnswer(p)
			c.answer = &a
			rec.Complete(a, now)
			return tx.SaveKey(rec)
		}
		rec.Lease(now.Add(s.cfg.LeaseTTL))
		c.payment = p
		return tx.SaveKey(rec)
	})
	return c, err
}

// runCharge calls the gateway for pending payment p and records the
// outcome. An unknown outcome releases the key for a retry and returns
// ErrGatewayUnavailable.
func (s *Service) runCharge(ctx context.Context, p payment, ref *keyRef) (recordedAnswer, error) {
	out, err := s.callCharge(ctx, p)
	if err != nil {
		if ref != nil {
			s.releaseKey(ctx, *ref)
		}
		return recordedAnswer{}, err
	}
	return s.settleCharge(ctx, p.ID, out, ref)
}

// callCharge sends p's charge to the gateway. It is not cut short when the
// client goes away: finishing lets the retry get the recorded answer.
func (s *Service) callCharge(ctx context.Context, p payment) (outcome, error) {
	gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.GatewayTimeout)
	defer cancel()
	res, err := s.gw.Charge(gctx, ChargeRequest{
		Amount:         p.Amount,
		Method:         p.Method,
		IdempotencyKey: gatewayKey("charge", p.ID),
		Description:    "openhouse order " + p.OrderID,
		Reference:      p.ID,
	})
	switch {
	case err == nil && res.Status == chargeSucceeded:
		return outcome{succeeded: true, ref: res.Ref}, nil
	case err == nil:
		reason := res.DeclineCode
		if reason == "" {
			reason = "card_declined"
		}
		return outcome{ref: res.Ref, reason: reason}, nil
	case errors.Is(err, errInvalidMethod):
		return outcome{reason: reasonInvalidMethod}, nil
	case errors.Is(err, errRejected):
		s.cfg.Log.WarnContext(ctx, "gateway rejected a charge", "payment_id", p.ID, "err", err)
		return outcome{reason: reasonRejected}, nil
	}
	s.cfg.Log.WarnContext(ctx, "gateway charge outcome unknown; the payment stays pending", "payment_id", p.ID, "err", err)
	return outcome{}, errGatewayUnavailable
}

// settleCharge records a charge's outcome on the payment, with its event,
// and the answer on the key (when ref is set), in one transaction. A payment
// already settled keeps its state; the answer then reflects that state.
func (s *Service) settleCharge(ctx context.Context, paymentID string, out outcome, ref *keyRef) (recordedAnswer, error) {
	now := s.cfg.Clock.Now().UTC()
	var a recordedAnswer
	err := s.store.Update(ctx, func(tx storeTx) error {
		var rec keyRecord
		if ref != nil {
			var err error
			if rec, err = tx.Key(ref.scope, ref.key); err != nil {
				return err
			}
			if rec.Answer != nil { // another process finished first
				a = *rec.Answer
				return nil
			}
		}
		p, err := tx.Payment(paymentID)
		if err != nil {
			return err
		}
		before := paymentStateOf(p)
		switch err := p.Settle(out.succeeded, out.ref, out.reason, now); {
		case err == nil:
			if err := tx.SavePayment(p); err != nil {
				return err
			}
			ev, err := settledEvent(ctx, p, before, now)
			if err != nil {
				return err
			}
			if err := tx.Publish(ev); err != nil {
				return err
			}
			s.cfg.Log.InfoContext(ctx, "payment settled", "payment_id", p.ID, "status", p.Status, "reason", p.FailureReason)
		case !errors.Is(err, errNotPending):
			return err
		}
		a = s.chargeAnswer(p)
		if ref != nil {
			rec.Complete(a, now)
			return tx.SaveKey(rec)
		}
		return nil
	})
	return a, err
}

// releaseKey ends the lease of a request whose outcome is unknown, so that
// a retry may resume at once instead of waiting for the lease to expire.
func (s *Service) releaseKey(ctx context.Context, ref keyRef) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	now := s.cfg.Clock.Now().UTC()
	err := s.store.Update(ctx, func(tx storeTx) error {
		rec, err := tx.Key(ref.scope, ref.key)
		if err != nil || rec.Answer != nil {
			return err
		}
		rec.Release(now)
		return tx.SaveKey(rec)
	})
	if err != nil {
		s.cfg.Log.WarnContext(ctx, "release idempotency key", "scope", ref.scope, "err", err)
	}
}

package payment

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/idempotency"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// Refund is POST /payments/{id}/refund: return in.Amount (default all that
// is left) of the payment, on request of by (an admin's id or
// service:tour). With a key, a repeat of the same request answers what the
// first answered and refunds nothing more; without one, every call is a new
// refund. The answer is 200 with the payment.
//
// As with charges, the refund is recorded as pending, its amount reserved,
// before the gateway is called with a key derived from the refund, so
// concurrent refunds can never together exceed the charge and a crash
// before the outcome is recorded is resumed (by a retry with the key, or by
// Run) without refunding twice.
func (s *Service) Refund(ctx context.Context, paymentID, by, key string, in refundInput) (recordedAnswer, error) {
	if err := in.Validate(); err != nil {
		return recordedAnswer{}, err
	}
	if key == "" {
		c, err := s.claimRefund(ctx, paymentID, by, in, nil, "")
		if err != nil {
			return recordedAnswer{}, err
		}
		return s.runRefund(ctx, c.payment, c.refund, nil)
	}
	if !idempotency.ValidKey(key) {
		return recordedAnswer{}, fault.ValidationError{{Field: "Idempotency-Key", Message: "must be 1 to 255 visible ASCII characters"}}
	}
	hash, err := idempotency.Hash(in)
	if err != nil {
		return recordedAnswer{}, err
	}
	ref := keyRef{scope: "refund:" + paymentID, key: key}
	c, unlock, err := s.claimKey(ctx, ref, func() (claim, error) {
		return s.claimRefund(ctx, paymentID, by, in, &ref, hash)
	})
	if err != nil {
		return recordedAnswer{}, err
	}
	defer unlock()
	if c.answer != nil {
		return *c.answer, nil
	}
	return s.runRefund(ctx, c.payment, c.refund, &ref)
}

// claimRefund records a new pending refund (and its key), or finds the
// refund a key already made: its answer, busy, or to resume.
func (s *Service) claimRefund(ctx context.Context, paymentID, by string, in refundInput, ref *keyRef, hash string) (claim, error) {
	now := s.cfg.Clock.Now().UTC()
	var c claim
	err := s.store.Update(ctx, func(tx storeTx) error {
		c = claim{}
		var rec keyRecord
		found := false
		if ref != nil {
			var err error
			rec, err = tx.Key(ref.scope, ref.key)
			switch {
			case err == nil:
				found = true
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
		}
		if found {
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
		}
		p, err := tx.Payment(paymentID)
		if err != nil {
			return err
		}
		c.payment = p
		if found {
			r, err := tx.Refund(rec.ResourceID)
			if err != nil {
				return err
			}
			if r.Status != refundPending {
				a := s.refundAnswer(p, r)
				c.answer = &a
				rec.Complete(a, now)
				return tx.SaveKey(rec)
			}
			rec.Lease(now.Add(s.cfg.LeaseTTL))
			c.refund = r
			return tx.SaveKey(rec)
		}
		reserved, err := tx.PendingRefunds(p.ID)
		if err != nil {
			return err
		}
		amount, err := p.CheckRefund(in.Amount, reserved)
		if errors.Is(err, errOverRefund) {
			return &overRefundError{PaymentID: p.ID, Refunded: events.Money{Amount: p.Refunded.Amount, Currency: p.Amount.Currency},
				Pending: events.Money{Amount: reserved, Currency: p.Amount.Currency}}
		}
		if err != nil {
			return err
		}
		r := newRefund(uuid.NewString(), p, amount, in.Reason, by, now)
		if err := tx.CreateRefund(r); err != nil {
			return err
		}
		if err := record(ctx, tx, "refund.requested", "refund", r.ID, nil, refundStateOf(r), now); err != nil {
			return err
		}
		c.refund = r
		if ref == nil {
			return nil
		}
		return tx.CreateKey(keyRecord{Scope: ref.scope, Key: ref.key, RequestHash: hash, ResourceID: r.ID,
			LeaseUntil: now.Add(s.cfg.LeaseTTL), CreatedAt: now})
	})
	return c, err
}

// runRefund calls the gateway for pending refund r of p and records the
// outcome; an unknown outcome releases the key and returns
// ErrGatewayUnavailable, leaving the refund pending (and its amount
// reserved) for a retry or Run.
func (s *Service) runRefund(ctx context.Context, p payment, r Refund, ref *keyRef) (recordedAnswer, error) {
	gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.GatewayTimeout)
	res, err := s.gw.Refund(gctx, RefundRequest{Ref: p.GatewayRef, Amount: r.Amount, IdempotencyKey: gatewayKey("refund", r.ID)})
	cancel()
	switch {
	case err == nil:
		return s.settleRefund(ctx, p.ID, r.ID, true, res.Ref, ref)
	case errors.Is(err, errRejected), errors.Is(err, errInvalidMethod):
		s.cfg.Log.WarnContext(ctx, "gateway rejected a refund", "payment_id", p.ID, "refund_id", r.ID, "err", err)
		return s.settleRefund(ctx, p.ID, r.ID, false, "", ref)
	}
	s.cfg.Log.WarnContext(ctx, "gateway refund outcome unknown; the refund stays pending", "payment_id", p.ID, "refund_id", r.ID, "err", err)
	if ref != nil {
		s.releaseKey(ctx, *ref)
	}
	return recordedAnswer{}, errGatewayUnavailable
}

// settleRefund records a refund's outcome, applies a successful one to the
// payment with its event, and records the answer on the key, in one
// transaction.
func (s *Service) settleRefund(ctx context.Context, paymentID, refundID string, succeeded bool, gatewayRef string, ref *keyRef) (recordedAnswer, error) {
	now := s.cfg.Clock.Now().UTC()
	var a recordedAnswer
	err := s.store.Update(ctx, func(tx storeTx) error {
		var rec keyRecord
		if ref != nil {
			var err error
			if rec, err = tx.Key(ref.scope, ref.key); err != nil {
				return err
			}
			if rec.Answer != nil {
				a = *rec.Answer
				return nil
			}
		}
		p, err := tx.Payment(paymentID)
		if err != nil {
			return err
		}
		r, err := tx.Refund(refundID)
		if err != nil {
			return err
		}
		refundBefore, paymentBefore := refundStateOf(r), paymentStateOf(p)
		switch err := r.Settle(succeeded, gatewayRef, now); {
		case err == nil:
			if err := tx.SaveRefund(r); err != nil {
				return err
			}
			if err := record(ctx, tx, "refund."+string(r.Status), "refund", r.ID, refundBefore, refundStateOf(r), now); err != nil {
				return err
			}
			if succeeded {
				if err := p.ApplyRefund(r.Amount, now); err != nil {
					return err
				}
				if err := tx.SavePayment(p); err != nil {
					return err
				}
				if err := record(ctx, tx, "payment.refunded", "payment", p.ID, paymentBefore, paymentStateOf(p), now); err != nil {
					return err
				}
				ev, err := refundedEvent(ctx, p, r, now)
				if err != nil {
					return err
				}
				if err := tx.Publish(ev); err != nil {
					return err
				}
				s.cfg.Log.InfoContext(ctx, "payment refunded", "payment_id", p.ID, "refund_id", r.ID,
					"amount", r.Amount.Amount, "status", p.Status)
			}
		case !errors.Is(err, errNotPending):
			return err
		}
		a = s.refundAnswer(p, r)
		if ref != nil {
			rec.Complete(a, now)
			return tx.SaveKey(rec)
		}
		return nil
	})
	return a, err
}

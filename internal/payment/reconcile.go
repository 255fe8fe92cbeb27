package payment

import (
	"context"
	"errors"
	"time"
)

// Run resumes, every ReconcileInterval, the charges and refunds a crash
// left pending (Reconcile) and prunes old idempotency keys, until ctx is
// cancelled. The app runs it as the service's background worker.
func (s *Service) Run(ctx context.Context) error {
	var lastPrune time.Time
	for {
		if err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.WarnContext(ctx, "payment reconcile", "err", err)
		}
		if now := s.cfg.Clock.Now(); now.Sub(lastPrune) >= time.Hour {
			lastPrune = now
			if n, err := s.store.PruneKeys(ctx, now.Add(-s.cfg.KeyRetention)); err != nil && ctx.Err() == nil {
				s.cfg.Log.WarnContext(ctx, "prune idempotency keys", "err", err)
			} else if n > 0 {
				s.cfg.Log.InfoContext(ctx, "pruned idempotency keys", "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.cfg.Clock.After(s.cfg.ReconcileInterval):
		}
	}
}

// Reconcile settles payments and refunds that have been pending longer
// than ReconcileAfter: the request that began them died between the
// gateway call and recording its answer, and its client never retried.
// The gateway is asked again under the same key, so it answers what it
// did the first time and moves no money twice. Charges pending longer than
// ResumeWindow are left alone (the gateway may have forgotten the key) for
// an operator: GET /payments?status=pending lists them.
func (s *Service) Reconcile(ctx context.Context) error {
	now := s.cfg.Clock.Now().UTC()
	var errs []error
	payments, err := s.store.StalePayments(ctx, now.Add(-s.cfg.ReconcileAfter), now.Add(-s.cfg.ResumeWindow), 100)
	if err != nil {
		return err
	}
	for _, p := range payments {
		out, err := s.callCharge(ctx, p)
		if err == nil {
			_, err = s.settleCharge(ctx, p.ID, out, nil)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	refunds, err := s.store.StaleRefunds(ctx, now.Add(-s.cfg.ReconcileAfter), 100)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, r := range refunds {
		p, err := s.store.Payment(ctx, r.PaymentID)
		if err == nil {
			_, err = s.runRefund(ctx, p, r, nil)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

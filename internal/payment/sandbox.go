package payment

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// Sandbox tokens: the same names Stripe's test mode uses, so a client
// written against the sandbox works against Stripe's test mode unchanged.
const (
	tokenVisa     = "tok_visa"
	tokenDeclined = "tok_chargeDeclined"
)

//go:embed sandbox_migrations/*.sql
var sandboxMigrations embed.FS

// Sandbox is the built-in gateway, the default when no Stripe key is
// configured: tok_visa succeeds, tok_chargeDeclined is declined with
// card_declined, every other method is ErrInvalidMethod. It keeps its books
// in its own tables (sandbox_charges, sandbox_refunds) keyed by idempotency
// key, so it behaves like a real gateway across restarts: a repeated call
// returns the first answer, and no call moves money twice. It shares the
// payment database only for convenience; payment's own code never reads
// these tables.
type Sandbox struct {
	db    *store.DB
	clock clock.Clock
}

// NewSandbox migrates the sandbox's tables in db.
func NewSandbox(ctx context.Context, db *store.DB, clk clock.Clock) (*Sandbox, error) {
	if err := db.Migrate(ctx, "payment_sandbox", sandboxMigrations, "sandbox_migrations"); err != nil {
		return nil, err
	}
	if clk == nil {
		clk = clock.Real{}
	}
	return &Sandbox{db: db, clock: clk}, nil
}

// outcome is the sandbox's fixed answer for a token.
func sandboxOutcome(method string) (ChargeStatus, string, error) {
	switch method {
	case tokenVisa:
		return chargeSucceeded, "", nil
	case tokenDeclined:
		return chargeDeclined, "card_declined", nil
	}
	return "", "", fmt.Errorf("%w: the sandbox knows %s and %s", errInvalidMethod, tokenVisa, tokenDeclined)
}

// Charge implements Gateway.
func (s *Sandbox) Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error) {
	if req.IdempotencyKey == "" {
		return ChargeResult{}, fmt.Errorf("%w: an idempotency key is required", errRejected)
	}
	if req.Amount.Validate() != nil || req.Amount.Amount <= 0 {
		return ChargeResult{}, fmt.Errorf("%w: invalid amount", errRejected)
	}
	status, code, err := sandboxOutcome(req.Method)
	if err != nil {
		return ChargeResult{}, err
	}
	for attempt := 0; ; attempt++ {
		var res ChargeResult
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			var amount int64
			var currency, method string
			err := tx.QueryRowContext(ctx, `SELECT ref, status, decline_code, amount, currency, method
				FROM sandbox_charges WHERE idempotency_key = $1 `+s.db.Dialect.ForUpdate, req.IdempotencyKey).
				Scan(&res.Ref, &res.Status, &res.DeclineCode, &amount, &currency, &method)
			if err == nil {
				if amount != req.Amount.Amount || currency != req.Amount.Currency || method != req.Method {
					return fmt.Errorf("%w: idempotency key reused with other parameters", errRejected)
				}
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			res = ChargeResult{Ref: "sbx_ch_" + uuid.NewString(), Status: status, DeclineCode: code}
			_, err = tx.ExecContext(ctx, `INSERT INTO sandbox_charges
				(idempotency_key, ref, amount, currency, method, status, decline_code, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				req.IdempotencyKey, res.Ref, req.Amount.Amount, req.Amount.Currency, req.Method, res.Status, res.DeclineCode,
				s.clock.Now().UTC())
			return err
		})
		// Two first calls with one key raced (PostgreSQL): the loser reads
		// the winner's row.
		if errors.Is(err, store.ErrConflict) && attempt == 0 {
			continue
		}
		if err != nil {
			return ChargeResult{}, fmt.Errorf("sandbox charge: %w", err)
		}
		return res, nil
	}
}

// Refund implements Gateway.
func (s *Sandbox) Refund(ctx context.Context, req RefundRequest) (RefundResult, error) {
	if req.IdempotencyKey == "" {
		return RefundResult{}, fmt.Errorf("%w: an idempotency key is required", errRejected)
	}
	if req.Amount.Validate() != nil || req.Amount.Amount <= 0 {
		return RefundResult{}, fmt.Errorf("%w: invalid amount", errRejected)
	}
	for attempt := 0; ; attempt++ {
		var res RefundResult
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			var chargeRef, currency string
			var amount int64
			err := tx.QueryRowContext(ctx, `SELECT ref, charge_ref, amount, currency FROM sandbox_refunds
				WHERE idempotency_key = $1 `+s.db.Dialect.ForUpdate, req.IdempotencyKey).
				Scan(&res.Ref, &chargeRef, &amount, &currency)
			if err == nil {
				if chargeRef != req.Ref || amount != req.Amount.Amount || currency != req.Amount.Currency {
					return fmt.Errorf("%w: idempotency key reused with other parameters", errRejected)
				}
				res.Status = "succeeded"
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			var status string
			var charged, refunded int64
			err = tx.QueryRowContext(ctx, `SELECT status, amount, currency, refunded FROM sandbox_charges
				WHERE ref = $1 `+s.db.Dialect.ForUpdate, req.Ref).Scan(&status, &charged, &currency, &refunded)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("%w: no such charge", errRejected)
			case err != nil:
				return err
			case status != string(chargeSucceeded):
				return fmt.Errorf("%w: the charge was declined; nothing to refund", errRejected)
			case currency != req.Amount.Currency:
				return fmt.Errorf("%w: the charge is in %s", errRejected, currency)
			case req.Amount.Amount > charged-refunded:
				return fmt.Errorf("%w: refund exceeds what is left of the charge", errRejected)
			}
			res = RefundResult{Ref: "sbx_re_" + uuid.NewString(), Status: "succeeded"}
			if _, err := tx.ExecContext(ctx, `INSERT INTO sandbox_refunds
				(idempotency_key, ref, charge_ref, amount, currency, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				req.IdempotencyKey, res.Ref, req.Ref, req.Amount.Amount, req.Amount.Currency, s.clock.Now().UTC()); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE sandbox_charges SET refunded = refunded + $1 WHERE ref = $2`, req.Amount.Amount, req.Ref)
			return err
		})
		if errors.Is(err, store.ErrConflict) && attempt == 0 {
			continue
		}
		if err != nil {
			if errors.Is(err, errRejected) {
				return RefundResult{}, err
			}
			return RefundResult{}, fmt.Errorf("sandbox refund: %w", err)
		}
		return res, nil
	}
}

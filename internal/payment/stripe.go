package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"
)

// StripeConfig configures the Stripe gateway.
type StripeConfig struct {
	// SecretKey is the account's secret API key (OPENHOUSE_STRIPE_SECRET_KEY).
	SecretKey string
	// APIBase replaces https://api.stripe.com (OPENHOUSE_STRIPE_API_BASE);
	// tests point it at stripe-mock.
	APIBase string
	// HTTPClient makes the calls; default one with a 30 s timeout.
	HTTPClient *http.Client
	// MaxNetworkRetries is how often stripe-go repeats a call that failed
	// on the network or with a 409/5xx, with the same idempotency key.
	// Default 0: openhouse retries whole operations itself.
	MaxNetworkRetries int64
}

// Validate names the first setting that cannot work.
func (c StripeConfig) Validate() error {
	if c.SecretKey == "" {
		return errors.New("OPENHOUSE_STRIPE_SECRET_KEY is required for the Stripe gateway")
	}
	if c.APIBase != "" {
		u, err := url.Parse(c.APIBase)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("OPENHOUSE_STRIPE_API_BASE must be an http(s) URL")
		}
	}
	return nil
}

// Stripe is the Gateway on Stripe's PaymentIntents and Refunds APIs through
// the official stripe-go library.
//
// A charge creates and confirms a PaymentIntent in one call (confirm=true,
// card only, so no redirect is ever needed), sending the request's
// IdempotencyKey as Stripe's Idempotency-Key header: Stripe then answers a
// repeat with the first PaymentIntent instead of charging again, for 24 h.
// A method given as a token (tok_...) is first turned into a PaymentMethod,
// idempotently under a key derived from the same key; pm_... ids are used as
// they are; anything else is ErrInvalidMethod without a call.
//
// Stripe's answers map onto the Gateway contract so:
//
//	PaymentIntent succeeded                      -> ChargeSucceeded
//	requires_payment_method, canceled            -> ChargeDeclined (last_payment_error's code)
//	requires_action (3-D Secure)                 -> ChargeDeclined, authentication_required
//	processing, requires_capture, ...            -> an error: outcome unknown (the webhook settles it)
//	402 card_error                               -> ChargeDeclined with the decline code
//	400/404 invalid_request_error on the method  -> ErrInvalidMethod
//	other 400/404 (amount too small, key reused) -> ErrRejected
//	401/403, 409 (key in use), 429, 5xx, network -> an error: outcome unknown
type Stripe struct {
	client *stripe.Client
}

// NewStripe returns the Stripe gateway.
func NewStripe(cfg StripeConfig) (*Stripe, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	bc := &stripe.BackendConfig{
		HTTPClient:        httpClient,
		MaxNetworkRetries: stripe.Int64(cfg.MaxNetworkRetries),
		// stripe-go logs to stderr by default; errors reach our logs
		// through the returned error instead.
		LeveledLogger:   &stripe.LeveledLogger{Level: stripe.LevelNull},
		EnableTelemetry: stripe.Bool(false),
	}
	if cfg.APIBase != "" {
		bc.URL = stripe.String(strings.TrimSuffix(cfg.APIBase, "/"))
	}
	return &Stripe{client: stripe.NewClient(cfg.SecretKey, stripe.WithBackends(stripe.NewBackendsWithConfig(bc)))}, nil
}

// Charge implements Gateway.
func (s *Stripe) Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error) {
	if req.IdempotencyKey == "" {
		return ChargeResult{}, fmt.Errorf("%w: an idempotency key is required", errRejected)
	}
	pm := req.Method
	switch {
	case strings.HasPrefix(pm, "pm_"):
	case strings.HasPrefix(pm, "tok_"):
		params := &stripe.PaymentMethodCreateParams{
			Type: stripe.String("card"),
			Card: &stripe.PaymentMethodCreateCardParams{Token: stripe.String(pm)},
		}
		params.SetIdempotencyKey(req.IdempotencyKey + "-payment-method")
		created, err := s.client.V1PaymentMethods.Create(ctx, params)
		if err != nil {
			return stripeChargeError(err)
		}
		pm = created.ID
	default:
		return ChargeResult{}, fmt.Errorf("%w: Stripe takes tok_... or pm_... methods", errInvalidMethod)
	}
	params := &stripe.PaymentIntentCreateParams{
		Amount:             stripe.Int64(req.Amount.Amount),
		Currency:           stripe.String(strings.ToLower(req.Amount.Currency)),
		Confirm:            stripe.Bool(true),
		PaymentMethod:      stripe.String(pm),
		PaymentMethodTypes: stripe.StringSlice([]string{"card"}),
	}
	if req.Description != "" {
		params.Description = stripe.String(req.Description)
	}
	if req.Reference != "" {
		params.AddMetadata(metadataPaymentID, req.Reference)
	}
	params.SetIdempotencyKey(req.IdempotencyKey)
	pi, err := s.client.V1PaymentIntents.Create(ctx, params)
	if err != nil {
		return stripeChargeError(err)
	}
	return chargeResultOf(pi)
}

// metadataPaymentID is the PaymentIntent metadata key naming the payment,
// read back by the webhook.
const metadataPaymentID = "openhouse_payment_id"

// chargeResultOf maps a PaymentIntent after confirmation.
func chargeResultOf(pi *stripe.PaymentIntent) (ChargeResult, error) {
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		return ChargeResult{Ref: pi.ID, Status: chargeSucceeded}, nil
	case stripe.PaymentIntentStatusRequiresPaymentMethod, stripe.PaymentIntentStatusCanceled:
		return ChargeResult{Ref: pi.ID, Status: chargeDeclined, DeclineCode: declineCode(pi.LastPaymentError, "payment_failed")}, nil
	case stripe.PaymentIntentStatusRequiresAction:
		return ChargeResult{Ref: pi.ID, Status: chargeDeclined, DeclineCode: "authentication_required"}, nil
	}
	return ChargeResult{}, fmt.Errorf("stripe: payment intent %s is %s; its outcome is not known yet", pi.ID, pi.Status)
}

// declineCode picks the most specific reason Stripe gave.
func declineCode(e *stripe.Error, fallback string) string {
	switch {
	case e == nil:
		return fallback
	case e.DeclineCode != "":
		return string(e.DeclineCode)
	case e.Code != "":
		return string(e.Code)
	}
	return fallback
}

func stripeChargeError(err error) (ChargeResult, error) {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return ChargeResult{}, fmt.Errorf("stripe: %w", err)
	}
	if se.Type == stripe.ErrorTypeCard {
		ref := ""
		if se.PaymentIntent != nil {
			ref = se.PaymentIntent.ID
		}
		return ChargeResult{Ref: ref, Status: chargeDeclined, DeclineCode: declineCode(se, "card_declined")}, nil
	}
	if definite(se) && (strings.HasPrefix(se.Param, "payment_method") || strings.HasPrefix(se.Param, "card")) {
		return ChargeResult{}, fmt.Errorf("%w: %s", errInvalidMethod, stripeReason(se))
	}
	return ChargeResult{}, classify(se)
}

// definite reports whether Stripe refused the request itself, so nothing
// happened and a repeat would be refused again.
func definite(se *stripe.Error) bool {
	return se.HTTPStatusCode == http.StatusBadRequest || se.HTTPStatusCode == http.StatusNotFound
}

func classify(se *stripe.Error) error {
	if definite(se) {
		return fmt.Errorf("%w: %s", errRejected, stripeReason(se))
	}
	return fmt.Errorf("stripe: %d %s: %s", se.HTTPStatusCode, se.Type, stripeReason(se))
}

// stripeReason is the error's code (or type) and message: no request data.
func stripeReason(se *stripe.Error) string {
	code := string(se.Code)
	if code == "" {
		code = string(se.Type)
	}
	return code + ": " + se.Msg
}

// Refund implements Gateway, on the Refunds API against the charge's
// PaymentIntent.
func (s *Stripe) Refund(ctx context.Context, req RefundRequest) (RefundResult, error) {
	if req.IdempotencyKey == "" {
		return RefundResult{}, fmt.Errorf("%w: an idempotency key is required", errRejected)
	}
	params := &stripe.RefundCreateParams{
		PaymentIntent: stripe.String(req.Ref),
		Amount:        stripe.Int64(req.Amount.Amount),
	}
	params.SetIdempotencyKey(req.IdempotencyKey)
	r, err := s.client.V1Refunds.Create(ctx, params)
	if err != nil {
		var se *stripe.Error
		if errors.As(err, &se) {
			return RefundResult{}, classify(se)
		}
		return RefundResult{}, fmt.Errorf("stripe: %w", err)
	}
	switch r.Status {
	case stripe.RefundStatusSucceeded, stripe.RefundStatusPending:
		return RefundResult{Ref: r.ID, Status: string(r.Status)}, nil
	case stripe.RefundStatusFailed, stripe.RefundStatusCanceled:
		return RefundResult{}, fmt.Errorf("%w: refund %s is %s", errRejected, r.ID, r.Status)
	}
	return RefundResult{}, fmt.Errorf("stripe: refund %s is %s; its outcome is not known yet", r.ID, r.Status)
}

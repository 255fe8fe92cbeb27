package app

import (
	"context"
	"os"

	"github.com/openhouse/openhouse/internal/payment"
)

// Settings of the payment gateway. They are read here rather than in
// Config because only the payment service uses them and the secret key must
// never travel in the Config value (logged, copied into tests).
const (
	envStripeSecretKey     = "OPENHOUSE_STRIPE_SECRET_KEY"     // empty: the built-in sandbox gateway
	envStripeWebhookSecret = "OPENHOUSE_STRIPE_WEBHOOK_SECRET" // empty: no webhook endpoint
	envStripeAPIBase       = "OPENHOUSE_STRIPE_API_BASE"       // tests: stripe-mock's URL
)

// buildPayment wires the payment service: its store, and the Stripe gateway
// when OPENHOUSE_STRIPE_SECRET_KEY is set, the sandbox otherwise.
func buildPayment(ctx context.Context, e env) (component, error) {
	st, err := payment.NewSQLStore(ctx, e.DB)
	if err != nil {
		return nil, err
	}
	var gw payment.Gateway
	if key := os.Getenv(envStripeSecretKey); key != "" {
		gw, err = payment.NewStripe(payment.StripeConfig{SecretKey: key, APIBase: os.Getenv(envStripeAPIBase)})
		e.Log.Info("payment gateway: stripe")
	} else {
		gw, err = payment.NewSandbox(ctx, e.DB, e.Clock)
		e.Log.Info("payment gateway: sandbox")
	}
	if err != nil {
		return nil, err
	}
	return payment.New(st, payment.Config{
		Gateway:       gw,
		WebhookSecret: os.Getenv(envStripeWebhookSecret),
		Clock:         e.Clock,
		Log:           e.Log,
	})
}

package payment

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/idempotency"
)

// Config tunes the payment service. Zero durations take the defaults.
type Config struct {
	// Gateway moves the money. Required: the app passes the Sandbox, or
	// Stripe when OPENHOUSE_STRIPE_SECRET_KEY is set.
	Gateway Gateway
	// WebhookSecret is Stripe's signing secret of the webhook endpoint
	// (OPENHOUSE_STRIPE_WEBHOOK_SECRET). Empty: POST
	// /payments/webhooks/stripe is not served.
	WebhookSecret string
	// WebhookTolerance is how old a webhook's signature may be. Default 5 min
	// (Stripe's); it guards against replayed deliveries.
	WebhookTolerance time.Duration

	// GatewayTimeout bounds every gateway call. Default 30 s.
	GatewayTimeout time.Duration
	// LeaseTTL is how long a request holds its idempotency key before
	// another may presume it dead and resume its work. It must exceed
	// GatewayTimeout. Default 1 min.
	LeaseTTL time.Duration
	// InFlightWait is how long a repeat waits for the first request with
	// its key before answering 409. Default 20 s.
	InFlightWait time.Duration
	// PollInterval is how often a repeat looks at a key held by another
	// process. Default 100 ms.
	PollInterval time.Duration
	// KeyRetention is how long answered idempotency keys are kept; at
	// least 24 h. Default 24 h.
	KeyRetention time.Duration

	// ReconcileInterval is how often Run looks for payments and refunds
	// left pending by a crash and resumes them. Default 1 min.
	ReconcileInterval time.Duration
	// ReconcileAfter is how long a payment or refund must have been pending
	// before Run resumes it. Default 2 min.
	ReconcileAfter time.Duration
	// ResumeWindow: a charge pending for longer is not sent to the gateway
	// again, because the gateway may have forgotten its idempotency key
	// (Stripe keeps them 24 h) and would charge twice; it is logged for an
	// operator instead. Default 23 h.
	ResumeWindow time.Duration

	Clock clock.Clock
	Log   *slog.Logger
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.WebhookTolerance, 5*time.Minute)
	def(&c.GatewayTimeout, 30*time.Second)
	def(&c.LeaseTTL, time.Minute)
	def(&c.InFlightWait, 20*time.Second)
	def(&c.PollInterval, 100*time.Millisecond)
	def(&c.KeyRetention, 24*time.Hour)
	def(&c.ReconcileInterval, time.Minute)
	def(&c.ReconcileAfter, 2*time.Minute)
	def(&c.ResumeWindow, 23*time.Hour)
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// Validate names the first setting that cannot work, after defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Gateway == nil:
		return errors.New("payment: a gateway is required")
	case c.LeaseTTL <= c.GatewayTimeout:
		return fmt.Errorf("payment: LeaseTTL (%s) must exceed GatewayTimeout (%s)", c.LeaseTTL, c.GatewayTimeout)
	case c.KeyRetention < 24*time.Hour:
		return fmt.Errorf("payment: KeyRetention is %s; idempotency keys are kept at least 24h", c.KeyRetention)
	case c.ReconcileAfter <= c.GatewayTimeout:
		return fmt.Errorf("payment: ReconcileAfter (%s) must exceed GatewayTimeout (%s)", c.ReconcileAfter, c.GatewayTimeout)
	case c.ResumeWindow >= 24*time.Hour:
		return fmt.Errorf("payment: ResumeWindow (%s) must stay under the gateway's 24h key retention", c.ResumeWindow)
	case c.WebhookTolerance < 0 || c.InFlightWait < 0 || c.PollInterval < 0 || c.ReconcileInterval < 0:
		return errors.New("payment: durations must not be negative")
	}
	return nil
}

// Service is the payment application: it runs the domain's rules against
// the store and the gateway and announces what changed.
type Service struct {
	store Store
	gw    Gateway
	cfg   Config
	keys  *idempotency.Waiter
}

// New builds the service.
func New(st Store, cfg Config) (*Service, error) {
	if st == nil {
		return nil, errors.New("payment: nil store")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Service{store: st, gw: cfg.Gateway, cfg: cfg,
		keys: &idempotency.Waiter{Clock: cfg.Clock, Wait: cfg.InFlightWait, Poll: cfg.PollInterval}}, nil
}

// Routes is the payment HTTP API as an authorization table. The app's middleware has already
// authenticated the caller; each route says who may call it.
func (s *Service) Routes() []auth.Route {
	admin := auth.Users(auth.RoleAdmin)
	table := []auth.Route{
		{Pattern: "POST /payments", Rule: auth.Services("cart"), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleCreate), Body: createRequest{},
			Doc: httpapi.Doc{Summary: "Charge a checkout (the cart service)", Reply: paymentView{}, Status: http.StatusCreated, Params: chargeHeaders{},
				Description: "Charges once per Idempotency-Key: the same key and body again answer the recorded answer (header `Idempotent-Replayed: true`).",
				Errors: map[int]string{http.StatusConflict: "A request with this key is still in progress; retry later.",
					http.StatusBadRequest:          "The body is malformed, or the Idempotency-Key header is missing or malformed.",
					http.StatusUnprocessableEntity: "A field breaks a rule, the key was used with another body, or the gateway refused the payment method (then with `payment_id`)."},
				Answers: []httpapi.Answer{{Status: http.StatusPaymentRequired, Why: "The payment was declined.", Body: paymentProblem{}}}}},
		{Pattern: "GET /payments", Rule: admin, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleList),
			Doc: httpapi.Doc{Summary: "List payments, newest first", Reply: httpapi.List[paymentView]{}, Params: paymentQuery{}}},
		{Pattern: "GET /payments/{id}", Rule: auth.Users(auth.RoleAdmin, auth.RoleCustomer), Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleGet),
			Doc: httpapi.Doc{Summary: "Get a payment (admins, or the customer who paid)", Reply: paymentView{}}},
		// Admins refund by hand; the tour service refunds when a tour is
		// cancelled.
		{Pattern: "POST /payments/{id}/refund", Rule: auth.Rule{Roles: []auth.Role{auth.RoleAdmin}, Services: []string{"tour"}}, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleRefund), Body: refundRequest{},
			Doc: httpapi.Doc{Summary: "Refund a payment, in full or in part", Reply: paymentView{}, Params: refundHeaders{}, OptionalBody: true,
				Description: "No body refunds everything that is left. With an Idempotency-Key, a retry refunds nothing more.",
				Errors: map[int]string{http.StatusConflict: "The payment is still being processed, or a request with this key is in progress.",
					http.StatusUnprocessableEntity: "Nothing left to refund, more than what is left, the key was used with another body, or the gateway refused the refund (then with `payment_id` and `refund_id`)."}}},
	}
	if s.cfg.WebhookSecret != "" {
		// Stripe signs its calls instead of sending a token; the handler
		// refuses any call whose signature does not verify.
		table = append(table, auth.Route{Pattern: "POST /payments/webhooks/stripe", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleStripeWebhook),
			Doc: httpapi.Doc{Summary: "Stripe's webhook (payment intents settled)", Reply: webhookAck{}, Params: stripeHeaders{},
				Request: map[string]any{}, RequestContentType: "application/json",
				Description: "Served only when OPENHOUSE_STRIPE_WEBHOOK_SECRET is set. The body is a Stripe event; calls whose signature does not verify are refused.",
				Errors: map[int]string{http.StatusBadRequest: "The signature is missing, invalid or expired, or the event holds no payment intent.",
					http.StatusRequestEntityTooLarge: "The event is larger than 1 MiB."}}})
	}
	return table
}

// Subscriptions lists the events payment consumes: none; it is driven by
// HTTP calls (cart, admins, tour) and the gateway's webhooks.
func (s *Service) Subscriptions() []bus.Subscription { return nil }

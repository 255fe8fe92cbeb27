package notification

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// Config tunes the notification service. Zero fields take the defaults.
type Config struct {
	Clock clock.Clock
	Log   *slog.Logger
	// ReminderOffsets are how long before a tour's start its customer and
	// realtor are reminded. Default 24h and 1h (OPENHOUSE_REMINDER_OFFSETS).
	ReminderOffsets []time.Duration
	// Mailer sends email; nil leaves the email channel off (no
	// OPENHOUSE_SMTP_URL).
	Mailer Mailer
	// SMS sends text messages; nil leaves the SMS channel off (no
	// OPENHOUSE_TWILIO_*).
	SMS SMSSender
	// Twilio is the SMS configuration: its auth token checks the inbound
	// webhook's signature.
	Twilio TwilioConfig
	// Appointments confirms or declines a realtor's appointment when they
	// answer Y or N to an assignment text; nil leaves replies unanswered.
	Appointments Responder
	// Poster sends webhooks. Default NewPoster(WebhookTimeout,
	// AllowLoopbackWebhooks).
	Poster *Poster
	// AllowLoopbackWebhooks lets users register http://127.0.0.1 webhooks
	// and the poster reach them. Tests only.
	AllowLoopbackWebhooks bool
	// Resolver looks up a webhook's host when it is registered. Default
	// net.DefaultResolver, the one the Poster's dialler uses.
	Resolver Resolver
	// LookupTimeout bounds that look-up. Default 3s.
	LookupTimeout time.Duration
	// Metrics, when set, receives openhouse_notifications_delivered_total
	// (metrics.go). Nil exports none.
	Metrics prometheus.Registerer
	// WebhookTimeout bounds one webhook POST. Default 10s.
	WebhookTimeout time.Duration
	// MaxAttempts is how many times an email or webhook delivery is tried
	// before it is given up (recorded as failed). Default 8.
	MaxAttempts int
	// RetryBase and RetryMax shape the backoff between attempts: RetryBase
	// doubling, at most RetryMax. Defaults 30s and 1h (8 attempts span
	// about an hour).
	RetryBase, RetryMax time.Duration
	// PollInterval is the longest the poller sleeps when nothing is due
	// sooner (it also wakes on every commit to its database). Default 5s.
	PollInterval time.Duration
	// Lease is how long a claimed delivery is hidden from other pollers
	// while it is being sent. Default 2m.
	Lease time.Duration
	// Batch is how many deliveries one round claims; Workers how many are
	// sent at once. Defaults 32 and 4.
	Batch, Workers int
}

// defaultReminderOffsets are 24 hours and 1 hour before the tour.
var defaultReminderOffsets = []time.Duration{24 * time.Hour, time.Hour}

// maxReminderOffset bounds a reminder offset.
const maxReminderOffset = 30 * 24 * time.Hour

func (c *Config) setDefaults() {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.ReminderOffsets == nil {
		c.ReminderOffsets = defaultReminderOffsets
	}
	if c.WebhookTimeout <= 0 {
		c.WebhookTimeout = 10 * time.Second
	}
	if c.Resolver == nil {
		c.Resolver = net.DefaultResolver
	}
	if c.LookupTimeout <= 0 {
		c.LookupTimeout = 3 * time.Second
	}
	if c.Poster == nil {
		c.Poster = newPoster(c.WebhookTimeout, c.AllowLoopbackWebhooks)
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 30 * time.Second
	}
	if c.RetryMax <= 0 {
		c.RetryMax = time.Hour
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 5 * time.Second
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.Batch <= 0 {
		c.Batch = 32
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
}

// ValidateOffsets checks reminder offsets: each positive and at most 30
// days, none repeated.
func ValidateOffsets(offsets []time.Duration) error {
	for i, o := range offsets {
		if o <= 0 || o > maxReminderOffset {
			return fmt.Errorf("reminder offset %s must be between 1s and %s", o, maxReminderOffset)
		}
		if o%time.Second != 0 {
			return fmt.Errorf("reminder offset %s must be whole seconds", o)
		}
		if slices.Contains(offsets[:i], o) {
			return fmt.Errorf("reminder offset %s is given twice", o)
		}
	}
	return nil
}

// ParseOffsets reads reminder offsets written as Go durations separated
// by commas ("24h,1h", "48h,2h,15m") and validates them.
func ParseOffsets(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := time.ParseDuration(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration such as 24h or 30m", part)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, errors.New("no reminder offset given")
	}
	return out, ValidateOffsets(out)
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	if err := ValidateOffsets(c.ReminderOffsets); err != nil {
		return err
	}
	if c.RetryMax < c.RetryBase {
		return errors.New("notification: RetryMax must not be below RetryBase")
	}
	if c.Lease < c.WebhookTimeout {
		return errors.New("notification: Lease must outlast WebhookTimeout")
	}
	return nil
}

// Service is the notification application.
type Service struct {
	store   Store
	cfg     Config
	wake    chan struct{}
	metrics *metrics
}

// committer is a store that can tell the service when it committed, so
// the poller sends new deliveries at once instead of at its next poll.
type committer interface {
	AfterCommit(fn func())
}

// New builds the service on st.
func New(st Store, cfg Config) (*Service, error) {
	if st == nil {
		return nil, errors.New("notification: nil store")
	}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Service{store: st, cfg: cfg, wake: make(chan struct{}, 1), metrics: newMetrics(cfg.Metrics)}
	if c, ok := st.(committer); ok {
		c.AfterCommit(s.Wake)
	}
	return s, nil
}

// AfterCommit registers fn to run after each commit of the store's
// database.
func (s *SQLStore) AfterCommit(fn func()) { s.db.AfterCommit(fn) }

// Wake asks the poller to look for due work now. It never blocks.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Routes is the notification HTTP API as an authorization table: every signed-in user reads
// their own inbox and manages their own webhook; services are refused. Calendar feeds
// answer whoever holds a feed's secret URL.
func (s *Service) Routes() []auth.Route {
	users := auth.AnyUser()
	return []auth.Route{
		{Pattern: "GET /notifications", Rule: users, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleList),
			Doc: httpapi.Doc{Summary: "The caller's inbox, newest first", Reply: httpapi.List[itemView]{}}},
		{Pattern: "POST /notifications/{id}/read", Rule: users, Owner: auth.OwnerOnly, Handler: http.HandlerFunc(s.handleRead),
			Doc: httpapi.Doc{Summary: "Mark a notification read", Reply: itemView{}}},
		{Pattern: "GET /notifications/webhook", Rule: users, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleGetWebhook),
			Doc: httpapi.Doc{Summary: "The caller's webhook", Reply: webhookView{},
				Errors: map[int]string{http.StatusNotFound: "The caller has no webhook."}}},
		{Pattern: "PUT /notifications/webhook", Rule: users, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handlePutWebhook), Body: webhookRequest{},
			Doc: httpapi.Doc{Summary: "Register (or replace) the caller's webhook", Reply: webhookView{},
				Description: "Every notification is then also POSTed to the URL, signed with the secret (`Openhouse-Signature: t=<unix>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">`); see the AsyncAPI document for the payload."}},
		{Pattern: "DELETE /notifications/webhook", Rule: users, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleDeleteWebhook),
			Doc: httpapi.Doc{Summary: "Remove the caller's webhook",
				Errors: map[int]string{http.StatusNotFound: "The caller has no webhook."}}},
		{Pattern: "GET /notifications/preferences", Rule: users, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleGetPreferences),
			Doc: httpapi.Doc{Summary: "The caller's notification preferences", Reply: preferencesView{},
				Description: "Channels per kind of message (booked, changed, reminder, approval_request, feedback_request) among inbox (always), email, sms and webhook; reminder offsets in minutes (the global ones until set); quiet hours in `time_zone`, during which what is not urgent (bookings, feedback requests) waits."}},
		{Pattern: "PUT /notifications/preferences", Rule: users, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handlePutPreferences), Body: preferencesView{},
			Doc: httpapi.Doc{Summary: "Replace the caller's notification preferences", Reply: preferencesView{}}},
		{Pattern: "GET /notifications/phone", Rule: users, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleGetPhone),
			Doc: httpapi.Doc{Summary: "The caller's phone for SMS (an empty number when none)", Reply: phoneView{}}},
		{Pattern: "PUT /notifications/phone", Rule: users, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handlePutPhone), Body: phoneRequest{},
			Doc: httpapi.Doc{Summary: "Register a mobile number and text it a one-time code", Reply: phoneView{}, Status: http.StatusAccepted,
				Description: "The number (E.164, or a US number) gets nothing else until the code comes back to POST /notifications/phone/verify.",
				Errors:      map[int]string{http.StatusConflict: "Text messages are not set up on this server.", http.StatusServiceUnavailable: "The code could not be sent; try again."}}},
		{Pattern: "POST /notifications/phone/verify", Rule: users, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleVerifyPhone), Body: verifyRequest{},
			Doc: httpapi.Doc{Summary: "Verify the caller's phone with the code texted to it", Reply: phoneView{},
				Errors: map[int]string{http.StatusNotFound: "The caller has no phone.", http.StatusTooManyRequests: "Five wrong codes: ask for a new one."}}},
		{Pattern: "DELETE /notifications/phone", Rule: users, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleDeletePhone),
			Doc: httpapi.Doc{Summary: "Remove the caller's phone", Errors: map[int]string{http.StatusNotFound: "The caller has no phone."}}},
		// Admins see every delivery's state and last error, not its content.
		{Pattern: "GET /notifications/deliveries", Rule: auth.Users(auth.RoleAdmin), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleListDeliveries),
			Doc: httpapi.Doc{Summary: "Every email, SMS and webhook delivery, newest first (admins)", Reply: httpapi.List[adminDeliveryView]{}, Params: deliveryParams{}}},
		// Twilio's signature (X-Twilio-Signature) is the credential.
		{Pattern: "POST /notifications/sms/inbound", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleInboundSMS),
			Doc: httpapi.Doc{Summary: "Twilio's webhook for texts sent to openhouse's number", Request: inboundForm{}, RequestContentType: "application/x-www-form-urlencoded",
				ContentType: "text/xml", Params: inboundParams{},
				Description: "Signed by Twilio (X-Twilio-Signature with the account's auth token). From a verified phone: STOP opts out, START back in, Y or N confirms or declines the newest assignment texted to a realtor.",
				Errors:      map[int]string{http.StatusForbidden: "The request is not signed by Twilio.", http.StatusNotFound: "Text messages are not set up on this server."}}},
		// The secret token in the path is the credential: calendar apps
		// subscribe without signing in.
		{Pattern: "GET /calendar/{file}", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleFeed),
			Doc: httpapi.Doc{Summary: "A calendar feed (iCalendar) of a user's tours", ContentType: "text/calendar",
				Description: "`{file}` is `<token>.ics` from POST /iam/me/calendar-token; the secret token is the credential.",
				Errors:      map[int]string{http.StatusNotFound: "No such calendar (or the token was replaced)."}}},
	}
}

// Run is the poller: it fires due reminders and sends due deliveries
// until ctx is cancelled, sleeping on the injected clock until the next
// due time, a commit, or PollInterval, whichever comes first. Any number of
// instances may run on one PostgreSQL database.
func (s *Service) Run(ctx context.Context) error {
	failures := 0
	retriedDue := false // the last round found work due but took none
	for {
		progress, err := s.Round(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := s.cfg.PollInterval
		switch {
		case err != nil:
			failures++
			wait = min(backoff(failures, 100*time.Millisecond, s.cfg.PollInterval), s.cfg.PollInterval)
			s.cfg.Log.Warn("notification round failed", "err", err, "retry_in", wait)
		case progress:
			failures, retriedDue = 0, false
			continue
		default:
			failures = 0
			if next, ok, err := s.store.NextDue(ctx); err == nil && ok {
				if d := next.Sub(s.cfg.Clock.Now()); d < wait {
					wait = max(d, 0)
				}
			}
			// Work that came due while this round ran is taken at once, but
			// only once: work due yet not taken twice running is held by
			// another instance, and waiting for it must not spin.
			if wait == 0 && retriedDue {
				wait = s.cfg.PollInterval
			}
			retriedDue = wait == 0
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.wake:
		case <-s.cfg.Clock.After(wait):
		}
	}
}

// Round fires the reminders due now and sends one batch of due
// deliveries; it reports whether it did anything.
func (s *Service) Round(ctx context.Context) (bool, error) {
	fired, ferr := s.fireDue(ctx)
	sent, serr := s.sendDue(ctx)
	answered, aerr := s.answerDue(ctx)
	return fired+sent+answered > 0, errors.Join(ferr, serr, aerr)
}

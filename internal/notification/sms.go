package notification

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	twilio "github.com/twilio/twilio-go"
	twclient "github.com/twilio/twilio-go/client"
	twapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// SMSSender sends one text message. Safe for concurrent use.
type SMSSender interface {
	// Send sends body to the E.164 number to and returns the provider's
	// message id. An error wrapping ErrSMSRejected will fail the same way
	// on every retry (a number the provider refuses); others may not.
	Send(ctx context.Context, to, body string) (string, error)
}

// errSMSRejected: the provider refused the message for good.
var errSMSRejected = errors.New("sms rejected")

// TwilioConfig configures the SMS channel (OPENHOUSE_TWILIO_*).
type TwilioConfig struct {
	AccountSID string // OPENHOUSE_TWILIO_ACCOUNT_SID
	AuthToken  string // OPENHOUSE_TWILIO_AUTH_TOKEN; also checks the inbound webhook's signature
	From       string // OPENHOUSE_TWILIO_FROM, E.164
	// APIURL replaces https://api.twilio.com (OPENHOUSE_TWILIO_API_URL):
	// the local fake in tests and CI.
	APIURL string
	// WebhookURL is the public URL Twilio posts replies to
	// (OPENHOUSE_TWILIO_WEBHOOK_URL): the signature covers it, so it must
	// be what Twilio was given. Empty: the URL the request came in on.
	WebhookURL string
	Timeout    time.Duration // one API call; default 10s
}

// Validate names the first setting that cannot work.
func (c TwilioConfig) Validate() error {
	switch {
	case c.AccountSID == "" || c.AuthToken == "" || c.From == "":
		return errors.New("OPENHOUSE_TWILIO_ACCOUNT_SID, OPENHOUSE_TWILIO_AUTH_TOKEN and OPENHOUSE_TWILIO_FROM go together")
	}
	if _, err := normalizePhone(c.From); err != nil {
		return errors.New("OPENHOUSE_TWILIO_FROM must be an E.164 phone number")
	}
	for name, raw := range map[string]string{"OPENHOUSE_TWILIO_API_URL": c.APIURL, "OPENHOUSE_TWILIO_WEBHOOK_URL": c.WebhookURL} {
		if raw == "" {
			continue
		}
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("%s must be an http(s) URL", name)
		}
	}
	return nil
}

// TwilioSender sends SMS through Twilio's Messages API with twilio-go.
type TwilioSender struct {
	api  *twapi.ApiService
	from string
}

// NewTwilioSender returns a sender for cfg.
func NewTwilioSender(cfg TwilioConfig) (*TwilioSender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	var transport http.RoundTripper = http.DefaultTransport
	if cfg.APIURL != "" {
		base, _ := url.Parse(cfg.APIURL)
		transport = rebase{base: base, next: http.DefaultTransport}
	}
	c := &twclient.Client{
		Credentials: twclient.NewCredentials(cfg.AccountSID, cfg.AuthToken),
		// Twilio's own default: never follow redirects.
		HTTPClient: &http.Client{Timeout: cfg.Timeout, Transport: transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
	c.SetAccountSid(cfg.AccountSID)
	rest := twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
	return &TwilioSender{api: rest.Api, from: cfg.From}, nil
}

// rebase sends requests for api.twilio.com to another base URL.
type rebase struct {
	base *url.URL
	next http.RoundTripper
}

func (r rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host = r.base.Scheme, r.base.Host
	out.URL.Path = strings.TrimSuffix(r.base.Path, "/") + req.URL.Path
	out.Host = r.base.Host
	return r.next.RoundTrip(out)
}

// Send implements SMSSender.
func (t *TwilioSender) Send(ctx context.Context, to, body string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	params := &twapi.CreateMessageParams{}
	params.SetTo(to).SetFrom(t.from).SetBody(body)
	m, err := t.api.CreateMessage(params)
	var rest *twclient.TwilioRestError
	switch {
	case errors.As(err, &rest) && rest.Status >= 400 && rest.Status < 500 && rest.Status != http.StatusTooManyRequests:
		return "", fmt.Errorf("%w: twilio %d: %s", errSMSRejected, rest.Code, rest.Message)
	case err != nil:
		return "", fmt.Errorf("twilio: %w", err)
	case m.Sid == nil:
		return "", errors.New("twilio: no message sid in the answer")
	}
	return *m.Sid, nil
}

// SMSText is the text message of a notification: short, with what a reply
// can do.
func smsText(msg message, kind Kind, role string) string {
	text := "openhouse: " + msg.Subject + "."
	if kind == kindTourScheduled && role == roleRealtor {
		text += " Reply Y to confirm or N to decline."
	}
	return text + " Reply STOP to opt out."
}

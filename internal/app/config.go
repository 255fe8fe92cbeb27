package app

import (
	"errors"
	"fmt"
	"github.com/openhouse/openhouse/internal/notification"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/iam"
	"github.com/openhouse/openhouse/internal/places"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/ratelimit"
	"github.com/openhouse/openhouse/internal/tourplan"
	"github.com/openhouse/openhouse/internal/web"
)

// Config is everything `openhouse serve` can be told. Each field has an
// environment variable; command-line flags override them. Empty URLs mean
// the embedded default.
type Config struct {
	HTTPAddr        string        // OPENHOUSE_HTTP_ADDR
	DataDir         string        // OPENHOUSE_DATA_DIR
	DatabaseURL     string        // OPENHOUSE_DATABASE_URL
	NATSURL         string        // OPENHOUSE_NATS_URL
	RedisURL        string        // OPENHOUSE_REDIS_URL
	Services        []string      // OPENHOUSE_SERVICES
	StreamReplicas  int           // OPENHOUSE_STREAM_REPLICAS
	ShutdownTimeout time.Duration // OPENHOUSE_SHUTDOWN_TIMEOUT
	LogLevel        string        // OPENHOUSE_LOG_LEVEL
	LogFormat       string        // OPENHOUSE_LOG_FORMAT
	AdminEmail      string        // OPENHOUSE_ADMIN_EMAIL
	AdminPassword   string        // OPENHOUSE_ADMIN_PASSWORD
	// Namespace, when set, prefixes every database schema (or file) and
	// every stream and subject, so that several independent systems share
	// one PostgreSQL database and NATS server (OPENHOUSE_NAMESPACE).
	Namespace string
	// Peers maps a service that runs elsewhere to its base URL (OPENHOUSE_PEERS).
	Peers map[string]string
	// NATS TLS: the CA of the servers' certificates, and this process's
	// client certificate and key (OPENHOUSE_NATS_TLS_CA, _CERT, _KEY).
	NATSTLSCA, NATSTLSCert, NATSTLSKey string
	// Upstreams maps each service to the base URLs of its instances; only
	// the gateway reads it (OPENHOUSE_UPSTREAMS).
	Upstreams map[string][]string
	// ServiceCredentials maps each service identity to its client secret
	// (OPENHOUSE_SERVICE_CREDENTIALS); empty means random per process.
	ServiceCredentials map[string]string
	// Notification settings: reminder offsets before a tour (nil: 24h and
	// 1h), and the SMTP server and sender of notification email.
	ReminderOffsets []time.Duration // OPENHOUSE_REMINDER_OFFSETS
	SMTPURL         string          // OPENHOUSE_SMTP_URL
	SMTPFrom        string          // OPENHOUSE_SMTP_FROM
	// SMS through Twilio (OPENHOUSE_TWILIO_ACCOUNT_SID, _AUTH_TOKEN, _FROM,
	// _API_URL, _WEBHOOK_URL); no account SID: no SMS.
	Twilio notification.TwilioConfig
	// Security settings (docs/security.md). The zero values are what tests
	// get: no CORS, no proxies trusted, no rate limits; ConfigFromEnv gives
	// serve the default limits.
	CORSOrigins    []string                    // OPENHOUSE_CORS_ORIGINS
	TrustedProxies []netip.Prefix              // OPENHOUSE_TRUSTED_PROXIES
	RateLimits     map[string]ratelimit.Policy // OPENHOUSE_RATE_LIMITS
	// Realtors' own calendars: how often each is fetched (0: 10m), whether
	// plain http calendar URLs are fetched (tests only), and the key that
	// seals the URLs at rest (base64 of 32 bytes; empty: a key file in the
	// data directory).
	CalendarSyncInterval time.Duration // OPENHOUSE_CALENDAR_SYNC_INTERVAL
	CalendarAllowHTTP    bool          // OPENHOUSE_CALENDAR_ALLOW_HTTP
	SecretsKey           string        // OPENHOUSE_SECRETS_KEY
	// AccessLead is how long before the realtor's stop at a home its
	// access instructions open to them (0: 30m).
	AccessLead time.Duration // OPENHOUSE_ACCESS_LEAD
	// ClockOffset moves every service's clock forward by this much from
	// the machine's (0: none): for demos and end-to-end journeys that need
	// tours to be over, never for a deployment with real customers.
	ClockOffset time.Duration // OPENHOUSE_CLOCK_OFFSET
	// GeocoderURL is the base URL of a Nominatim-compatible server for
	// street addresses (OPENHOUSE_GEOCODER_URL); empty means towns and ZIP
	// codes only, from the embedded gazetteer.
	GeocoderURL string
	// MapTiles is the base layer of the web app's maps
	// (OPENHOUSE_MAP_TILE_URL, OPENHOUSE_MAP_ATTRIBUTION); empty means
	// OpenStreetMap's tiles.
	MapTiles web.Tiles
	// Token lifetimes (docs/security.md); zero means the default.
	AccessTokenTTL time.Duration // OPENHOUSE_ACCESS_TOKEN_TTL

	HoldTTL  time.Duration // OPENHOUSE_HOLD_TTL: how long a checkout's realtor hold lasts unpaid
	SlotStep time.Duration // OPENHOUSE_SLOT_STEP: the grid of tour starts
	// Approval deadlines of homes whose showing mode is confirm: the
	// earlier of ApprovalWait after the request and ApprovalLead before
	// the tour (zero: 4h and 2h).
	ApprovalWait time.Duration // OPENHOUSE_APPROVAL_WAIT
	ApprovalLead time.Duration // OPENHOUSE_APPROVAL_LEAD
	RefreshIdle  time.Duration // OPENHOUSE_REFRESH_IDLE_TTL
	RefreshMax   time.Duration // OPENHOUSE_REFRESH_MAX_TTL
}

// MinAccessTokenTTL is the shortest access token lifetime serve accepts:
// short enough for a test to watch tokens expire, long enough that a
// client refreshing at 80% of it is not refreshing all the time.
const MinAccessTokenTTL = 5 * time.Second

// MaxClockOffset bounds OPENHOUSE_CLOCK_OFFSET: a year.
const MaxClockOffset = 366 * 24 * time.Hour

// Setting documents one configuration variable; README's table is made from
// the same facts.
type Setting struct {
	Env, Default, Meaning string
}

// Settings lists every variable ConfigFromEnv reads.
var Settings = []Setting{
	{"OPENHOUSE_HTTP_ADDR", ":8080", "address the HTTP API listens on"},
	{"OPENHOUSE_DATA_DIR", "./data", "embedded stores: one SQLite file per service and the NATS file store"},
	{"OPENHOUSE_DATABASE_URL", "(embedded SQLite)", "postgres:// URL; each service gets its own schema in that database"},
	{"OPENHOUSE_NATS_URL", "(embedded JetStream)", "NATS server or cluster URLs, comma-separated"},
	{"OPENHOUSE_NATS_TLS_CA", "(system roots)", "PEM file of the CA of the NATS servers' certificates; any NATS TLS setting makes the connection require TLS"},
	{"OPENHOUSE_NATS_TLS_CERT", "", "with OPENHOUSE_NATS_TLS_KEY: PEM client certificate, for servers that verify clients"},
	{"OPENHOUSE_NATS_TLS_KEY", "", "PEM key of OPENHOUSE_NATS_TLS_CERT"},
	{"OPENHOUSE_REDIS_URL", "(in-memory index)", "redis:// URL for the availability index"},
	{"OPENHOUSE_SERVICES", "all", "comma-separated services this process runs"},
	{"OPENHOUSE_STREAM_REPLICAS", "1", "JetStream replicas per stream (3 on a 3-node cluster)"},
	{"OPENHOUSE_SHUTDOWN_TIMEOUT", "20s", "how long a graceful shutdown may take"},
	{"OPENHOUSE_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"OPENHOUSE_LOG_FORMAT", "json", "json or text"},
	{"OPENHOUSE_ADMIN_EMAIL", "", "with OPENHOUSE_ADMIN_PASSWORD: the first admin, created at start if absent"},
	{"OPENHOUSE_ADMIN_PASSWORD", "", "the first admin's password"},
	{"OPENHOUSE_NAMESPACE", "", "prefix of schemas, files, streams and subjects, to share servers between independent systems"},
	{"OPENHOUSE_PEERS", "", "service=URL pairs for services that run in other processes"},
	{"OPENHOUSE_UPSTREAMS", "", "gateway only: service=URL pairs, one per instance (a service may repeat)"},
	{"OPENHOUSE_SERVICE_CREDENTIALS", "(random)", "service:secret pairs, the client credentials of service identities; required with several processes"},
	{"OPENHOUSE_REMINDER_OFFSETS", "24h,1h", "how long before a tour customer and realtor are reminded, comma-separated"},
	{"OPENHOUSE_SMTP_URL", "(no email)", "smtp://[user:pass@]host:port (STARTTLS when offered) or smtps://; notifications are emailed when set"},
	{"OPENHOUSE_SMTP_FROM", "(no-reply address)", "sender of notification email (default openhouse <no-reply@openhouse.localhost>)"},
	{"OPENHOUSE_CORS_ORIGINS", "(off)", "origins whose browser pages may call the API, comma-separated, or *"},
	{"OPENHOUSE_TRUSTED_PROXIES", "(none)", "CIDRs of proxies (the gateway, a load balancer) whose X-Forwarded-For is believed"},
	{"OPENHOUSE_RATE_LIMITS", "register=20/1h,login=60/1m,refresh=120/1m,checkout=30/1m,search=600/1m,geocode=30/1m", "per-process limits: register, login and refresh per address, checkout, search and geocode per user; name=off disables one"},
	{"OPENHOUSE_ACCESS_TOKEN_TTL", "15m", "lifetime of the access tokens iam signs, 5s to 1h"},
	{"OPENHOUSE_REFRESH_IDLE_TTL", "168h", "a refresh token unused this long expires (at least 1m)"},
	{"OPENHOUSE_REFRESH_MAX_TTL", "720h", "a sign-in's refresh tokens all expire this long after it, however often refreshed"},
	{"OPENHOUSE_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "the web app's map tiles, an XYZ URL template ({z}, {x}, {y}; {s} and {r} optional), or off for a blank base; the browser loads them"},
	{"OPENHOUSE_MAP_ATTRIBUTION", "(OpenStreetMap's)", "the attribution the tiles' licence asks for (HTML links allowed), shown on every map"},
	{"OPENHOUSE_GEOCODER_URL", "(towns and ZIP codes only)", "base URL of a Nominatim-compatible server (e.g. https://nominatim.openstreetmap.org): GET /places/geocode finds street addresses, cached, at most one request a second"},
	{"OPENHOUSE_HOLD_TTL", "10m", "how long a realtor is held for a checkout that has not paid (10s to 24h); a hold lapses after it"},
	{"OPENHOUSE_SLOT_STEP", "15m", "the grid of tour starts offered as open slots; divides an hour"},
	{"OPENHOUSE_APPROVAL_WAIT", "4h", "how long a provider has to approve a tour of a home in showing mode confirm; unanswered, the home is declined (and refunded)"},
	{"OPENHOUSE_APPROVAL_LEAD", "2h", "an approval is due at the latest this long before the tour (the earlier of the two deadlines wins)"},
	{"OPENHOUSE_STRIPE_SECRET_KEY", "(sandbox gateway)", "Stripe secret key; payments go through Stripe when set"},
	{"OPENHOUSE_STRIPE_WEBHOOK_SECRET", "(no webhook)", "signing secret of POST /payments/webhooks/stripe"},
	{"OPENHOUSE_STRIPE_API_BASE", "(Stripe)", "another Stripe API base URL (stripe-mock in tests)"},
}

// ConfigFromEnv reads the configuration from getenv (os.Getenv in main).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	get := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	cfg := Config{
		HTTPAddr:      get("OPENHOUSE_HTTP_ADDR", ":8080"),
		DataDir:       get("OPENHOUSE_DATA_DIR", "./data"),
		DatabaseURL:   get("OPENHOUSE_DATABASE_URL", ""),
		NATSURL:       get("OPENHOUSE_NATS_URL", ""),
		NATSTLSCA:     get("OPENHOUSE_NATS_TLS_CA", ""),
		NATSTLSCert:   get("OPENHOUSE_NATS_TLS_CERT", ""),
		NATSTLSKey:    get("OPENHOUSE_NATS_TLS_KEY", ""),
		RedisURL:      get("OPENHOUSE_REDIS_URL", ""),
		LogLevel:      get("OPENHOUSE_LOG_LEVEL", "info"),
		LogFormat:     get("OPENHOUSE_LOG_FORMAT", "json"),
		AdminEmail:    get("OPENHOUSE_ADMIN_EMAIL", ""),
		AdminPassword: getenv("OPENHOUSE_ADMIN_PASSWORD"),
		Namespace:     get("OPENHOUSE_NAMESPACE", ""),
		GeocoderURL:   get("OPENHOUSE_GEOCODER_URL", ""),
		MapTiles:      web.Tiles{URL: get("OPENHOUSE_MAP_TILE_URL", ""), Attribution: get("OPENHOUSE_MAP_ATTRIBUTION", "")},
	}
	var err error
	if cfg.Services, err = ParseServices(get("OPENHOUSE_SERVICES", "all")); err != nil {
		return cfg, fmt.Errorf("OPENHOUSE_SERVICES: %w", err)
	}
	if cfg.Peers, err = parsePeers(getenv("OPENHOUSE_PEERS")); err != nil {
		return cfg, err
	}
	if cfg.Upstreams, err = parseUpstreams(getenv("OPENHOUSE_UPSTREAMS")); err != nil {
		return cfg, err
	}
	if creds := strings.TrimSpace(getenv(auth.ServiceCredentialsSetting)); creds != "" {
		if cfg.ServiceCredentials, err = auth.ParseServiceCredentials(creds); err != nil {
			return cfg, err
		}
	}
	if cfg.StreamReplicas, err = strconv.Atoi(get("OPENHOUSE_STREAM_REPLICAS", "1")); err != nil {
		return cfg, fmt.Errorf("OPENHOUSE_STREAM_REPLICAS: %w", err)
	}
	if cfg.ShutdownTimeout, err = time.ParseDuration(get("OPENHOUSE_SHUTDOWN_TIMEOUT", "20s")); err != nil {
		return cfg, fmt.Errorf("OPENHOUSE_SHUTDOWN_TIMEOUT: %w", err)
	}
	if cfg.ReminderOffsets, err = parseReminderOffsets(get("OPENHOUSE_REMINDER_OFFSETS", "24h,1h")); err != nil {
		return cfg, err
	}
	cfg.SMTPURL, cfg.SMTPFrom = get("OPENHOUSE_SMTP_URL", ""), get("OPENHOUSE_SMTP_FROM", "")
	cfg.Twilio = notification.TwilioConfig{AccountSID: get("OPENHOUSE_TWILIO_ACCOUNT_SID", ""), AuthToken: get("OPENHOUSE_TWILIO_AUTH_TOKEN", ""),
		From: get("OPENHOUSE_TWILIO_FROM", ""), APIURL: get("OPENHOUSE_TWILIO_API_URL", ""), WebhookURL: get("OPENHOUSE_TWILIO_WEBHOOK_URL", "")}
	if err := calendarFromEnv(&cfg, get); err != nil {
		return cfg, err
	}
	if err := securityFromEnv(&cfg, getenv); err != nil {
		return cfg, err
	}
	for _, d := range []struct {
		env string
		to  *time.Duration
	}{
		{"OPENHOUSE_ACCESS_TOKEN_TTL", &cfg.AccessTokenTTL},
		{"OPENHOUSE_REFRESH_IDLE_TTL", &cfg.RefreshIdle},
		{"OPENHOUSE_REFRESH_MAX_TTL", &cfg.RefreshMax},
		{"OPENHOUSE_HOLD_TTL", &cfg.HoldTTL},
		{"OPENHOUSE_SLOT_STEP", &cfg.SlotStep},
		{"OPENHOUSE_APPROVAL_WAIT", &cfg.ApprovalWait},
		{"OPENHOUSE_APPROVAL_LEAD", &cfg.ApprovalLead},
		{"OPENHOUSE_ACCESS_LEAD", &cfg.AccessLead},
		{"OPENHOUSE_CLOCK_OFFSET", &cfg.ClockOffset},
	} {
		if v := get(d.env, ""); v != "" {
			if *d.to, err = time.ParseDuration(v); err != nil {
				return cfg, fmt.Errorf("%s: %w", d.env, err)
			}
		}
	}
	return cfg, cfg.Validate()
}

// ParseServices turns "iam,listing" (or "all") into service names, checking
// each against the services this binary has.
func ParseServices(s string) ([]string, error) {
	if strings.TrimSpace(s) == "all" {
		return ServiceNames(), nil
	}
	if strings.TrimSpace(s) == GatewayName {
		return []string{GatewayName}, nil
	}
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(ServiceNames(), name) {
			return nil, fmt.Errorf("unknown service %q (have: %s)", name, strings.Join(ServiceNames(), ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no services named")
	}
	return out, nil
}

var namespacePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,20}$`)

// dbName is the database (schema or file) name of a service.
func (c Config) dbName(service string) string {
	if c.Namespace == "" {
		return service
	}
	return c.Namespace + "_" + service
}

// Validate names the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.HTTPAddr == "":
		return errors.New("OPENHOUSE_HTTP_ADDR must not be empty")
	case c.DataDir == "" && (c.DatabaseURL == "" || c.NATSURL == ""):
		return errors.New("OPENHOUSE_DATA_DIR must be set for the embedded stores")
	case c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		return errors.New("OPENHOUSE_DATABASE_URL must be a postgres:// URL")
	case c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://"):
		return errors.New("OPENHOUSE_REDIS_URL must be a redis:// URL")
	case c.StreamReplicas < 1 || c.StreamReplicas > 5:
		return errors.New("OPENHOUSE_STREAM_REPLICAS must be 1 to 5")
	case c.ShutdownTimeout <= 0:
		return errors.New("OPENHOUSE_SHUTDOWN_TIMEOUT must be positive")
	case !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel):
		return errors.New("OPENHOUSE_LOG_LEVEL must be debug, info, warn or error")
	case c.LogFormat != "json" && c.LogFormat != "text":
		return errors.New("OPENHOUSE_LOG_FORMAT must be json or text")
	case (c.AdminEmail == "") != (c.AdminPassword == ""):
		return errors.New("OPENHOUSE_ADMIN_EMAIL and OPENHOUSE_ADMIN_PASSWORD go together")
	case len(c.Services) == 0:
		return errors.New("OPENHOUSE_SERVICES names no service")
	case c.Namespace != "" && !namespacePattern.MatchString(c.Namespace):
		return errors.New("OPENHOUSE_NAMESPACE must be a lower-case letter then up to 20 of a-z, 0-9 and _")
	case c.AccessTokenTTL != 0 && (c.AccessTokenTTL < MinAccessTokenTTL || c.AccessTokenTTL > auth.MaxTTL):
		return fmt.Errorf("OPENHOUSE_ACCESS_TOKEN_TTL is %s; it must be between %s and %s", c.AccessTokenTTL, MinAccessTokenTTL, auth.MaxTTL)
	case c.ClockOffset < 0 || c.ClockOffset > MaxClockOffset:
		return fmt.Errorf("OPENHOUSE_CLOCK_OFFSET is %s; it must be between 0s and %s", c.ClockOffset, MaxClockOffset)
	case c.AccessLead < 0 || c.AccessLead > 7*24*time.Hour:
		return fmt.Errorf("OPENHOUSE_ACCESS_LEAD is %s; it must be between 0s (the default, 30m) and 168h", c.AccessLead)
	case c.HoldTTL != 0 && (c.HoldTTL < 10*time.Second || c.HoldTTL > 24*time.Hour):
		return fmt.Errorf("OPENHOUSE_HOLD_TTL is %s; it must be between 10s and 24h", c.HoldTTL)
	case c.ApprovalWait != 0 && (c.ApprovalWait < time.Minute || c.ApprovalWait > 7*24*time.Hour):
		return fmt.Errorf("OPENHOUSE_APPROVAL_WAIT is %s; it must be between 1m and 168h", c.ApprovalWait)
	case c.ApprovalLead < 0 || c.ApprovalLead > 7*24*time.Hour:
		return fmt.Errorf("OPENHOUSE_APPROVAL_LEAD is %s; it must be between 0 and 168h", c.ApprovalLead)
	}
	if err := c.tourRules().Validate(); err != nil {
		return fmt.Errorf("OPENHOUSE_SLOT_STEP: %w", err)
	}
	if err := (iam.RefreshLifetimes{Idle: c.RefreshIdle, Max: c.RefreshMax}).WithDefaults().Validate(); err != nil {
		return fmt.Errorf("OPENHOUSE_REFRESH_IDLE_TTL, OPENHOUSE_REFRESH_MAX_TTL: %w", err)
	}
	if IsGateway(c.Services) {
		return validateGateway(c)
	}
	if err := c.MapTiles.Validate(); err != nil {
		return err
	}
	if c.GeocoderURL != "" {
		if err := (places.GeocoderConfig{URL: c.GeocoderURL}).Validate(); err != nil {
			return err
		}
	}
	if err := validateNotification(c); err != nil {
		return err
	}
	for _, name := range ServiceNames() {
		if !slices.Contains(c.Services, name) && c.Peers[name] == "" {
			return fmt.Errorf("OPENHOUSE_PEERS must give the URL of %s, which this process does not run", name)
		}
	}
	return nil
}

// tourRules are the tour plan's rules with the configured slot grid.
func (c Config) tourRules() tourplan.Rules {
	r := tourplan.Default
	if c.SlotStep != 0 {
		r.Step = c.SlotStep
	}
	return r
}

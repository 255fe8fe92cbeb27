package app

import (
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/ratelimit"
)

// rateLimits are the limits on the costly endpoints, in one table like the
// authorization table: which route, which setting of OPENHOUSE_RATE_LIMITS
// sets its policy, and what a request is counted against. A test checks that
// every pattern here is a route, so renaming one cannot drop its limit.
//
// Login failures have their own, finer guard in iam (per account and
// address); the limit here caps all sign-in attempts from one address.
var rateLimits = []struct {
	Pattern, Setting string
	Key              ratelimit.Key
}{
	{"POST /iam/register", "register", ratelimit.ByAddress},
	{"POST /iam/login", "login", ratelimit.ByAddress},
	// A client refreshes a few times an hour; a burst is someone trying
	// tokens (each try costs a database round trip).
	{"POST /iam/refresh", "refresh", ratelimit.ByAddress},
	{"POST /cart/checkout", "checkout", ratelimit.ByCaller},
	{"GET /listings", "search", ratelimit.ByCaller},
	// Each lookup the cache does not answer is a request to the outside
	// geocoder (one a second for the whole process): one user's typing
	// must not take every turn.
	{"GET /places/geocode", "geocode", ratelimit.ByCaller},
}

// DefaultRateLimits are the policies `openhouse serve` applies unless
// OPENHOUSE_RATE_LIMITS says otherwise. They are per process: with N
// instances behind the gateway a client gets up to N times as much.
var DefaultRateLimits = map[string]ratelimit.Policy{
	"register": {Max: 20, Period: time.Hour},
	"login":    {Max: 60, Period: time.Minute},
	"refresh":  {Max: 120, Period: time.Minute},
	"checkout": {Max: 30, Period: time.Minute},
	"search":   {Max: 600, Period: time.Minute},
	"geocode":  {Max: 30, Period: time.Minute},
}

// parseRateLimits reads "register=20/1h,search=off" over the defaults.
func parseRateLimits(s string) (map[string]ratelimit.Policy, error) {
	out := maps.Clone(DefaultRateLimits)
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, policy, ok := strings.Cut(strings.TrimSpace(part), "=")
		if _, known := DefaultRateLimits[name]; !ok || !known {
			return nil, fmt.Errorf("OPENHOUSE_RATE_LIMITS: %q: want name=N/duration with name one of %s", part, strings.Join(slices.Sorted(maps.Keys(DefaultRateLimits)), ", "))
		}
		p, err := ratelimit.ParsePolicy(policy)
		if err != nil {
			return nil, fmt.Errorf("OPENHOUSE_RATE_LIMITS: %w", err)
		}
		out[name] = p
	}
	return out, nil
}

// limitRoutes wraps the handlers of the rows rateLimits names with their
// limit. Policies missing from limits, or off, limit nothing.
func limitRoutes(table []auth.Route, limits map[string]ratelimit.Policy, c clock.Clock) []auth.Route {
	out := slices.Clone(table)
	for _, l := range rateLimits {
		p := limits[l.Setting]
		if p.Off() {
			continue
		}
		w := ratelimit.NewWindow(p.Max, p.Period, c)
		for i := range out {
			if out[i].Pattern == l.Pattern {
				out[i].Handler = ratelimit.Limit(w, l.Key)(out[i].Handler)
				out[i].Doc.Errors = withLimitAnswer(out[i].Doc.Errors)
			}
		}
	}
	return out
}

// withLimitAnswer is errs (copied: rows may share one map) with the 429
// a rate-limited route answers, so the API document lists it.
func withLimitAnswer(errs map[int]string) map[int]string {
	out := maps.Clone(errs)
	if out == nil {
		out = map[int]string{}
	}
	if _, ok := out[http.StatusTooManyRequests]; !ok {
		out[http.StatusTooManyRequests] = "Too many requests; Retry-After says when to try again."
	}
	return out
}

// securityFromEnv reads the CORS, proxy and rate-limit settings.
func securityFromEnv(cfg *Config, getenv func(string) string) error {
	for _, o := range strings.Split(getenv("OPENHOUSE_CORS_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.CORSOrigins = append(cfg.CORSOrigins, o)
		}
	}
	for _, c := range strings.Split(getenv("OPENHOUSE_TRUSTED_PROXIES"), ",") {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return fmt.Errorf("OPENHOUSE_TRUSTED_PROXIES: %w", err)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, p.Masked())
	}
	var err error
	cfg.RateLimits, err = parseRateLimits(getenv("OPENHOUSE_RATE_LIMITS"))
	return err
}

// RateLimitedPatterns are the routes that have a rate limit.
func RateLimitedPatterns() []string {
	out := make([]string, len(rateLimits))
	for i, l := range rateLimits {
		out[i] = l.Pattern
	}
	return out
}

package app_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/platform/ratelimit"
)

// TestRateLimitsAndCORS: the costly endpoints refuse a client past its
// limit with a 429 problem and change nothing; CORS answers only the
// configured origins.
func TestRateLimitsAndCORS(t *testing.T) {
	cfg := backends(t)["embedded"]
	cfg.AdminEmail, cfg.AdminPassword = "root@example.com", "the admin passphrase"
	cfg.RateLimits = map[string]ratelimit.Policy{"register": {Max: 3, Period: time.Hour}, "search": {Max: 5, Period: time.Minute}, "refresh": {Max: 4, Period: time.Minute}}
	cfg.CORSOrigins = []string{"https://app.example"}
	a, c := startApp(t, cfg)

	patterns := []string{}
	for _, rt := range a.Routes() {
		patterns = append(patterns, rt.Pattern)
	}
	for _, p := range app.RateLimitedPatterns() {
		if !slices.Contains(patterns, p) {
			t.Errorf("rate limit on %q, which is not a route", p)
		}
	}

	register := func(i int) (int, []byte) {
		return c.raw("POST", "/iam/register", "", nil, map[string]string{"email": fmt.Sprintf("n%d@example.com", i), "password": "a decent passphrase", "name": "N", "role": "customer"})
	}
	for i := range 3 {
		if status, out := register(i); status != 201 {
			t.Fatalf("register %d = %d %s", i, status, out)
		}
	}
	status, out := register(3)
	if status != http.StatusTooManyRequests || !strings.Contains(string(out), "urn:openhouse:problem:") {
		t.Fatalf("4th register = %d %s, want a 429 problem", status, out)
	}
	admin := c.login(cfg.AdminEmail, cfg.AdminPassword)
	if _, users := c.call("GET", "/iam/users?limit=100", admin, nil); strings.Contains(fmt.Sprint(users), "n3@example.com") {
		t.Fatal("the refused registration made a user")
	}

	// Search: per user, not per address.
	customer := c.login("n0@example.com", "a decent passphrase")
	other := c.login("n1@example.com", "a decent passphrase")
	for i := range 5 {
		if status, out := c.call("GET", "/listings", customer, nil); status != 200 {
			t.Fatalf("search %d = %d %v", i, status, out)
		}
	}
	if status, _ := c.call("GET", "/listings", customer, nil); status != http.StatusTooManyRequests {
		t.Fatalf("6th search = %d, want 429", status)
	}
	if status, _ := c.call("GET", "/listings", other, nil); status != 200 {
		t.Fatalf("another user's search = %d, want 200", status)
	}

	// Refresh: per address, counting refused tries too (guessing tokens).
	status, tok := c.call("POST", "/iam/login", "", map[string]string{"email": "n2@example.com", "password": "a decent passphrase"})
	if status != 200 {
		t.Fatalf("login = %d %v", status, tok)
	}
	for i := range 3 {
		if status, _ := c.call("POST", "/iam/refresh", "", map[string]string{"refresh_token": fmt.Sprintf("guess-%d", i)}); status != http.StatusUnauthorized {
			t.Fatalf("guess %d = %d, want 401", i, status)
		}
	}
	if status, out := c.call("POST", "/iam/refresh", "", map[string]string{"refresh_token": tok["refresh_token"].(string)}); status != 200 {
		t.Fatalf("4th refresh = %d %v, want 200", status, out)
	}
	if status, _ := c.call("POST", "/iam/refresh", "", map[string]string{"refresh_token": tok["refresh_token"].(string)}); status != http.StatusTooManyRequests {
		t.Fatalf("5th refresh = %d, want 429", status)
	}

	// CORS: the configured origin's preflight, and nobody else's.
	for origin, want := range map[string]int{"https://app.example": 204, "https://evil.example": 403} {
		status, _ := c.raw("OPTIONS", "/tours", "", map[string]string{"Origin": origin, "Access-Control-Request-Method": "GET"}, nil)
		if status != want {
			t.Errorf("preflight from %s = %d, want %d", origin, status, want)
		}
	}
}

func TestRateLimitSettings(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	cfg, err := app.ConfigFromEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(cfg.RateLimits) != fmt.Sprint(app.DefaultRateLimits) || cfg.CORSOrigins != nil || cfg.TrustedProxies != nil {
		t.Fatalf("defaults: %v %v %v", cfg.RateLimits, cfg.CORSOrigins, cfg.TrustedProxies)
	}
	env["OPENHOUSE_RATE_LIMITS"] = "register=off, search=10/1s"
	env["OPENHOUSE_CORS_ORIGINS"] = "https://a.example, https://b.example"
	env["OPENHOUSE_TRUSTED_PROXIES"] = "10.0.0.0/8,127.0.0.1/32"
	if cfg, err = app.ConfigFromEnv(getenv); err != nil {
		t.Fatal(err)
	}
	if !cfg.RateLimits["register"].Off() || cfg.RateLimits["search"] != (ratelimit.Policy{Max: 10, Period: time.Second}) || cfg.RateLimits["checkout"] != app.DefaultRateLimits["checkout"] {
		t.Fatalf("limits = %v", cfg.RateLimits)
	}
	if len(cfg.CORSOrigins) != 2 || len(cfg.TrustedProxies) != 2 {
		t.Fatalf("cors %v proxies %v", cfg.CORSOrigins, cfg.TrustedProxies)
	}
	env["OPENHOUSE_ACCESS_TOKEN_TTL"], env["OPENHOUSE_REFRESH_IDLE_TTL"], env["OPENHOUSE_REFRESH_MAX_TTL"] = "5s", "24h", "48h"
	if cfg, err = app.ConfigFromEnv(getenv); err != nil || cfg.AccessTokenTTL != 5*time.Second || cfg.RefreshIdle != 24*time.Hour || cfg.RefreshMax != 48*time.Hour {
		t.Fatalf("token lifetimes = %s %s %s, %v", cfg.AccessTokenTTL, cfg.RefreshIdle, cfg.RefreshMax, err)
	}
	if cfg.RateLimits["refresh"] != app.DefaultRateLimits["refresh"] || app.DefaultRateLimits["refresh"] != (ratelimit.Policy{Max: 120, Period: time.Minute}) {
		t.Fatalf("refresh limit = %v, want the default 120/1m", cfg.RateLimits["refresh"])
	}
	for _, bad := range []map[string]string{
		{"OPENHOUSE_ACCESS_TOKEN_TTL": "1s"},
		{"OPENHOUSE_ACCESS_TOKEN_TTL": "2h"},
		{"OPENHOUSE_ACCESS_TOKEN_TTL": "soon"},
		{"OPENHOUSE_REFRESH_IDLE_TTL": "800h"}, // longer than the family's 720h
		{"OPENHOUSE_REFRESH_MAX_TTL": "1m"},
		{"OPENHOUSE_RATE_LIMITS": "signup=1/1h"},
		{"OPENHOUSE_RATE_LIMITS": "register=lots"},
		{"OPENHOUSE_TRUSTED_PROXIES": "10.0.0.0/33"},
	} {
		env = bad
		if _, err := app.ConfigFromEnv(getenv); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

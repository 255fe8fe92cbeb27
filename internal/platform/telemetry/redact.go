package telemetry

import (
	"log/slog"
	"net/url"
	"regexp"
	"strings"
)

// Redacted replaces a secret in the logs.
const Redacted = "[REDACTED]"

// secretKeys are parts of attribute names whose values are secrets,
// whatever the code that logs them meant to do.
var secretKeys = []string{"password", "passwd", "secret", "token", "authorization", "api_key", "apikey", "cookie", "credential", "private_key"}

// jwtShape is a compact JWS: three base64url parts, the first a JSON header.
var jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)

// Redact is a slog ReplaceAttr function that keeps secrets out of the logs:
// the value of any attribute whose name mentions a secret (password,
// token, secret, authorization, ...) becomes [REDACTED]; in every other
// string, bearer tokens (JWTs) and the password of a URL's user info
// (postgres://user:pass@host) are blanked. A mistake elsewhere, logging a
// request body or a connection string, then leaks nothing.
func Redact(groups []string, a slog.Attr) slog.Attr {
	key := strings.ToLower(a.Key)
	for _, s := range secretKeys {
		if strings.Contains(key, s) {
			return slog.String(a.Key, Redacted)
		}
	}
	if a.Value.Kind() == slog.KindString {
		if s := a.Value.String(); redactable(s) {
			return slog.String(a.Key, redactString(s))
		}
	}
	return a
}

func redactable(s string) bool {
	return strings.Contains(s, "eyJ") || strings.Contains(s, "@")
}

// redactString blanks JWTs and URL passwords inside s.
func redactString(s string) string {
	s = jwtShape.ReplaceAllString(s, Redacted)
	for _, field := range strings.Fields(s) {
		u, err := url.Parse(strings.Trim(field, `"',;()`))
		if err != nil || u.User == nil {
			continue
		}
		if _, has := u.User.Password(); has {
			safe := *u
			safe.User = url.UserPassword(u.User.Username(), "xxxxx")
			s = strings.ReplaceAll(s, u.String(), strings.Replace(safe.String(), "xxxxx", Redacted, 1))
		}
	}
	return s
}

package httpapi

import "strings"

// secretPathPrefixes are paths whose rest is a credential: a calendar feed
// URL (/calendar/<token>.ics) is a bearer secret that calendar apps poll
// without signing in. Logs show such paths with the secret replaced, and
// traces leave them out, so the secret reaches no log or trace backend.
var secretPathPrefixes = []string{"/calendar/"}

// LoggablePath is path as logs may show it: the secret part of a secret
// path replaced by "[redacted]".
func LoggablePath(path string) string {
	for _, p := range secretPathPrefixes {
		if strings.HasPrefix(path, p) {
			return p + "[redacted]"
		}
	}
	return path
}

func secretPath(path string) bool { return LoggablePath(path) != path }

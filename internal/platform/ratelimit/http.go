package ratelimit

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// Policy is "at most Max requests per Period", written "20/1h".
type Policy struct {
	Max    int
	Period time.Duration
}

// Off reports whether the policy limits nothing.
func (p Policy) Off() bool { return p.Max <= 0 || p.Period <= 0 }

func (p Policy) String() string {
	if p.Off() {
		return "off"
	}
	return fmt.Sprintf("%d/%s", p.Max, p.Period)
}

// ParsePolicy reads "20/1h" (or "off").
func ParsePolicy(s string) (Policy, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return Policy{}, nil
	}
	n, d, ok := strings.Cut(s, "/")
	max, err := strconv.Atoi(n)
	if !ok || err != nil || max < 1 {
		return Policy{}, fmt.Errorf("rate limit %q: want N/duration, e.g. 20/1h, or off", s)
	}
	period, err := time.ParseDuration(d)
	if err != nil || period <= 0 {
		return Policy{}, fmt.Errorf("rate limit %q: want N/duration, e.g. 20/1h, or off", s)
	}
	return Policy{Max: max, Period: period}, nil
}

// Key picks what a request is counted against; "" means not at all.
type Key func(r *http.Request) string

// ByAddress counts requests per client address (after httpapi.TrustProxies
// has put the real client there).
func ByAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return "addr:" + r.RemoteAddr
	}
	return "addr:" + host
}

// ByCaller counts a signed-in user's requests wherever they come from, and
// anonymous ones per address. Services are not counted: they call on behalf
// of every user at once.
func ByCaller(r *http.Request) string {
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		if p.IsService() {
			return ""
		}
		return "caller:" + p.ID
	}
	return ByAddress(r)
}

// Limit serves a request only while its key is under the window's limit;
// beyond it the answer is 429 with Retry-After, and the handler does not
// run. Every request counts, whatever its outcome.
func Limit(w *Window, key Key) httpapi.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			k := key(r)
			if k == "" {
				next.ServeHTTP(rw, r)
				return
			}
			if ok, retry := w.Take(k); !ok {
				httpapi.WriteError(rw, r, httpapi.TooManyRequests("too many requests; slow down", retry))
				return
			}
			next.ServeHTTP(rw, r)
		})
	}
}

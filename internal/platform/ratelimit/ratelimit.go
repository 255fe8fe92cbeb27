// Package ratelimit counts events per key in a sliding window, for limits
// such as "5 failed logins per account and address per 15 minutes". It keeps
// its counters in memory, per process: in the distributed mode each instance
// limits on its own, so the effective limit is the configured one times the
// instances (documented in docs/security.md).
package ratelimit

import (
	"sync"
	"time"

	"github.com/openhouse/openhouse/internal/platform/clock"
)

// Window allows at most Max events per key within Period. It is safe for
// concurrent use.
type Window struct {
	Max    int
	Period time.Duration
	clock  clock.Clock

	mu        sync.Mutex
	hits      map[string][]time.Time // per key, oldest first, pruned to Period
	lastSweep time.Time
}

// NewWindow returns a limiter of max events per key per period.
func NewWindow(max int, period time.Duration, c clock.Clock) *Window {
	if c == nil {
		c = clock.Real{}
	}
	return &Window{Max: max, Period: period, clock: c, hits: map[string][]time.Time{}}
}

// Allowed reports whether key is under its limit now, without counting, and
// if not, how long until the oldest counted event leaves the window.
func (w *Window) Allowed(key string) (ok bool, retryAfter time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock.Now()
	hits := w.prune(key, now)
	if len(hits) < w.Max {
		return true, 0
	}
	return false, hits[0].Add(w.Period).Sub(now)
}

// Add counts one event for key.
func (w *Window) Add(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock.Now()
	w.hits[key] = append(w.prune(key, now), now)
	w.sweep(now)
}

// Take counts one event for key if it is under its limit, and reports
// whether it was.
func (w *Window) Take(key string) (ok bool, retryAfter time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock.Now()
	hits := w.prune(key, now)
	if len(hits) >= w.Max {
		return false, hits[0].Add(w.Period).Sub(now)
	}
	w.hits[key] = append(hits, now)
	w.sweep(now)
	return true, 0
}

// Reset forgets key (after a successful login, say).
func (w *Window) Reset(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.hits, key)
}

func (w *Window) prune(key string, now time.Time) []time.Time {
	hits := w.hits[key]
	cut := 0
	for cut < len(hits) && !hits[cut].After(now.Add(-w.Period)) {
		cut++
	}
	if cut == len(hits) {
		delete(w.hits, key)
		return nil
	}
	hits = hits[cut:]
	w.hits[key] = hits
	return hits
}

// sweep drops idle keys once per period so memory stays bounded by the
// keys active in the last period.
func (w *Window) sweep(now time.Time) {
	if now.Sub(w.lastSweep) < w.Period {
		return
	}
	w.lastSweep = now
	for key := range w.hits {
		w.prune(key, now)
	}
}

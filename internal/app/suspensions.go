package app

import (
	"context"
	"sync"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// suspensions is this process's view of which users are suspended, rebuilt
// from iam's stream at start and kept live. The verifier asks it about
// every token, so a suspended user's tokens stop working everywhere as soon
// as the event arrives (about a millisecond), not only when they expire.
type suspensions struct {
	mu        sync.RWMutex
	suspended map[string]time.Time
}

func newSuspensions() *suspensions { return &suspensions{suspended: map[string]time.Time{}} }

// watch keeps the set up to date until stop is called.
func (s *suspensions) watch(ctx context.Context, b *bus.Bus) (stop func(), err error) {
	return b.Watch(ctx, "iam", []string{events.TypeUserStatusChanged}, func(ev bus.Event) {
		var e events.UserStatusChanged
		if err := ev.DataAs(&e); err != nil {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if e.Status == "suspended" {
			s.suspended[e.UserID] = e.At
		} else {
			delete(s.suspended, e.UserID)
		}
	})
}

// revoked reports whether userID is suspended now; all its tokens are then
// refused, whenever they were issued.
func (s *suspensions) revoked(_ context.Context, userID string, _ time.Time) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.suspended[userID]
	return ok
}

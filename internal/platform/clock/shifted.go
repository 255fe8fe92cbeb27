package clock

import (
	"sync"
	"time"
)

// Shifted is the wall clock moved forward by an offset that Jump grows:
// time flows as usual, so a whole running system (its pollers, its bus)
// works at its own pace, and a test jumps it past a moment (a tour's end)
// instead of waiting for it. Waiters registered with After fire when d
// has passed on the wall clock, or at once when a jump passes their
// deadline.
type Shifted struct {
	mu      sync.Mutex
	offset  time.Duration
	waiters map[*shiftedWaiter]struct{}
}

type shiftedWaiter struct {
	at time.Time
	ch chan time.Time
}

// NewShifted returns a Shifted clock that reads the wall clock.
func NewShifted() *Shifted { return &Shifted{waiters: map[*shiftedWaiter]struct{}{}} }

// Now returns the wall clock's time plus the offset.
func (s *Shifted) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.offset)
}

// After fires once Now()+d is reached, by time passing or by a jump.
func (s *Shifted) After(d time.Duration) <-chan time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := &shiftedWaiter{at: time.Now().Add(s.offset + d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		w.ch <- w.at
		return w.ch
	}
	s.waiters[w] = struct{}{}
	time.AfterFunc(d, func() { s.fire(w) })
	return w.ch
}

// fire sends w its time once, if it still waits.
func (s *Shifted) fire(w *shiftedWaiter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.waiters[w]; ok {
		delete(s.waiters, w)
		w.ch <- time.Now().Add(s.offset)
	}
}

// Jump moves the clock forward by d and fires every waiter it passes.
func (s *Shifted) Jump(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d > 0 {
		s.offset += d
	}
	now := time.Now().Add(s.offset)
	for w := range s.waiters {
		if !w.at.After(now) {
			delete(s.waiters, w)
			w.ch <- now
		}
	}
}

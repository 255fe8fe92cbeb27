// Package clock lets code ask for the time without asking the machine, so
// tests can move time forward instead of sleeping.
package clock

import "time"

// Clock is the source of time for anything that schedules, expires or
// timestamps. Implementations are safe for concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After returns a channel that receives the time once d has elapsed on
	// this clock. The channel has a buffer of one, so a caller that stops
	// listening never blocks the clock.
	After(d time.Duration) <-chan time.Time
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }

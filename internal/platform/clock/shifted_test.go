package clock_test

import (
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/clock"
)

// TestShiftedJump: a jump moves Now forward and fires the waiters it
// passes, once; a waiter it does not pass fires when its time comes.
func TestShiftedJump(t *testing.T) {
	c := clock.NewShifted()
	before := c.Now()
	passed, later := c.After(time.Hour), c.After(3*time.Hour)
	c.Jump(2 * time.Hour)
	select {
	case at := <-passed:
		if at.Sub(before) < 2*time.Hour {
			t.Fatalf("fired at %v, %v after start", at, at.Sub(before))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a waiter the jump passed did not fire")
	}
	select {
	case <-later:
		t.Fatal("a waiter the jump did not pass fired")
	default:
	}
	if got := c.Now().Sub(before); got < 2*time.Hour || got > 2*time.Hour+time.Minute {
		t.Fatalf("Now moved %v, want 2h", got)
	}
	soon := c.After(time.Millisecond)
	select {
	case <-soon:
	case <-time.After(10 * time.Second):
		t.Fatal("a waiter did not fire when its time came")
	}
}

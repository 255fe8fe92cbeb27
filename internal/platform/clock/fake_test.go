package clock_test

import (
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/clock"
)

func TestFakeFiresInOrderWhenAdvanced(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := clock.NewFake(start)
	late, early := c.After(2*time.Hour), c.After(time.Hour)
	if c.Waiters() != 2 {
		t.Fatalf("waiters = %d", c.Waiters())
	}
	c.Advance(90 * time.Minute)
	select {
	case at := <-early:
		if !at.Equal(start.Add(90 * time.Minute)) {
			t.Fatalf("fired at %v", at)
		}
	default:
		t.Fatal("the 1h waiter did not fire after 90m")
	}
	select {
	case <-late:
		t.Fatal("the 2h waiter fired after 90m")
	default:
	}
	c.Set(start) // never backwards
	if !c.Now().Equal(start.Add(90 * time.Minute)) {
		t.Fatal("Set moved the clock backwards")
	}
	c.Advance(time.Hour)
	<-late
	if c.Waiters() != 0 {
		t.Fatal("a fired waiter is still pending")
	}
	select {
	case <-c.After(0):
	default:
		t.Fatal("After(0) did not fire at once")
	}
}

func TestWaitForWaiters(t *testing.T) {
	c := clock.NewFake(time.Now())
	go func() { <-c.After(time.Minute) }()
	if !c.WaitForWaiters(1, time.After(5*time.Second)) {
		t.Fatal("the goroutine's waiter was not seen")
	}
	if c.WaitForWaiters(2, time.After(10*time.Millisecond)) {
		t.Fatal("WaitForWaiters reported a waiter that does not exist")
	}
	c.Advance(time.Minute)
}

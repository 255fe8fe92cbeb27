package ratelimit_test

import (
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/ratelimit"
)

func TestWindow(t *testing.T) {
	c := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	w := ratelimit.NewWindow(3, time.Minute, c)
	for i := range 3 {
		if ok, _ := w.Take("a"); !ok {
			t.Fatalf("take %d refused", i)
		}
		c.Advance(10 * time.Second)
	}
	ok, retry := w.Take("a")
	if ok || retry != 30*time.Second {
		t.Fatalf("4th take = %v, retry %v; want refused, 30s", ok, retry)
	}
	if ok, _ := w.Take("b"); !ok {
		t.Fatal("another key is limited")
	}
	c.Advance(30 * time.Second)
	if ok, _ := w.Allowed("a"); !ok {
		t.Fatal("oldest event did not leave the window")
	}
	w.Add("a")
	if ok, _ := w.Allowed("a"); ok {
		t.Fatal("Add did not count")
	}
	w.Reset("a")
	if ok, _ := w.Allowed("a"); !ok {
		t.Fatal("Reset did not forget")
	}
}

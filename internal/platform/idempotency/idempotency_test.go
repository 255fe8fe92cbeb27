package idempotency_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/idempotency"
	"github.com/openhouse/openhouse/internal/platform/idempotency/idempotencytest"
	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestTableContract runs the shared suite on a table made by Migrate, on
// both engines.
func TestTableContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		db := open(t, "idem")
		if err := idempotency.Migrate(context.Background(), db); err != nil {
			t.Fatal(err)
		}
		idempotencytest.Run(t, db)
	})
}

func TestValidKey(t *testing.T) {
	for k, want := range map[string]bool{
		"a": true, "checkout:cust-1:9b2f6c1e": true, strings.Repeat("k", 255): true,
		"": false, strings.Repeat("k", 256): false, "with space": false, "tab\tkey": false, "ключ": false, "nul\x00": false,
	} {
		if got := idempotency.ValidKey(k); got != want {
			t.Errorf("ValidKey(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestDecide(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	answered := idempotency.Record{RequestHash: "h", Answer: &idempotency.Answer{Status: 409}}
	for name, c := range map[string]struct {
		rec  idempotency.Record
		hash string
		want idempotency.Verdict
		err  error
	}{
		"answered":              {answered, "h", idempotency.Replay, nil},
		"answered, other body":  {answered, "x", 0, idempotency.ErrKeyReused},
		"in flight":             {idempotency.Record{RequestHash: "h", LeaseUntil: now.Add(time.Second)}, "h", idempotency.Busy, nil},
		"in flight, other body": {idempotency.Record{RequestHash: "h", LeaseUntil: now.Add(time.Second)}, "x", 0, idempotency.ErrKeyReused},
		"lease over":            {idempotency.Record{RequestHash: "h", LeaseUntil: now}, "h", idempotency.Resume, nil},
	} {
		rec := c.rec
		if rec.Answer != nil {
			a := *rec.Answer
			rec.Answer = &a
		}
		v, err := rec.Decide(c.hash, now)
		if v != c.want || !errors.Is(err, c.err) {
			t.Errorf("%s: Decide = %v, %v; want %v, %v", name, v, err, c.want, c.err)
		}
		if v == idempotency.Replay && !rec.Answer.Replayed {
			t.Errorf("%s: a replayed answer is not marked", name)
		}
	}
}

func TestHashIgnoresLayout(t *testing.T) {
	type req struct {
		A string `json:"a"`
		B int    `json:"b"`
	}
	h1, _ := idempotency.Hash(req{"x", 1})
	h2, _ := idempotency.Hash(req{A: "x", B: 1})
	h3, _ := idempotency.Hash(req{"x", 2})
	if h1 != h2 || h1 == h3 {
		t.Fatalf("hashes %s %s %s", h1, h2, h3)
	}
}

func TestWriteReplay(t *testing.T) {
	w := httptest.NewRecorder()
	idempotency.Write(w, idempotency.Answer{Status: 201, ContentType: "application/json", Body: []byte(`{"id":"p"}`), Location: "/payments/p", Replayed: true})
	h := w.Result().Header
	if w.Code != 201 || w.Body.String() != `{"id":"p"}` || h.Get("Content-Type") != "application/json" || h.Get("Location") != "/payments/p" ||
		h.Get(idempotency.ReplayedHeader) != "true" || h.Get("Cache-Control") != "no-store" || h.Get("Content-Length") != "10" {
		t.Fatalf("wrote %d %v %s", w.Code, h, w.Body)
	}
	w = httptest.NewRecorder()
	idempotency.Write(w, idempotency.Answer{Status: 409, ContentType: "application/problem+json", Body: []byte(`{}`)})
	if w.Result().Header.Get(idempotency.ReplayedHeader) != "" {
		t.Fatal("a first answer says it is replayed")
	}
}

// TestWaiter: repeats in this process queue on the key's lock and run
// one at a time; a key held elsewhere is polled on the clock and given up
// with ErrInFlight after Wait; a lost insert race is retried.
func TestWaiter(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	w := &idempotency.Waiter{Clock: clk, Wait: 10 * time.Second, Poll: time.Second}

	t.Run("one at a time in this process", func(t *testing.T) {
		var inside, most atomic.Int32
		var wg sync.WaitGroup
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				unlock, err := w.Claim(ctx, "k", func() (bool, error) { return false, nil })
				if err != nil {
					t.Error(err)
					return
				}
				if n := inside.Add(1); n > most.Load() {
					most.Store(n)
				}
				inside.Add(-1)
				unlock()
			}()
		}
		wg.Wait()
		if most.Load() != 1 {
			t.Fatalf("%d requests held one key at once", most.Load())
		}
	})

	t.Run("busy elsewhere", func(t *testing.T) {
		var tries atomic.Int32
		before := clk.Waiters()
		done := make(chan error, 1)
		go func() {
			_, err := w.Claim(ctx, "held", func() (bool, error) { tries.Add(1); return true, nil })
			done <- err
		}()
		// Parked on its wait and its poll: move the clock past two polls.
		if !clk.WaitForWaiters(before+2, time.After(5*time.Second)) {
			t.Fatal("the claim never waited on the clock")
		}
		clk.Advance(time.Second)
		if !clk.WaitForWaiters(before+2, time.After(5*time.Second)) {
			t.Fatal("the claim did not poll again")
		}
		clk.Advance(9 * time.Second)
		if err := <-done; !errors.Is(err, idempotency.ErrInFlight) {
			t.Fatalf("after the wait = %v, want ErrInFlight", err)
		}
		if tries.Load() < 2 {
			t.Fatalf("%d tries, want the key read again after a poll", tries.Load())
		}
	})

	t.Run("insert race", func(t *testing.T) {
		calls := 0
		unlock, err := w.Claim(ctx, "race", func() (bool, error) {
			calls++
			if calls == 1 {
				return false, store.ErrConflict
			}
			return false, nil
		})
		if err != nil || calls != 2 {
			t.Fatalf("Claim = %v after %d tries", err, calls)
		}
		unlock()
	})
}

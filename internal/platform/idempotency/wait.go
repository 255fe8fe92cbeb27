package idempotency

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// Waiter makes the repeats of a request in flight wait for its answer: in
// this process on a lock per key (no polling), across processes by asking
// the store again every Poll, for at most Wait in all, on Clock. A
// service keeps one Waiter for all its keys.
type Waiter struct {
	Clock clock.Clock
	Wait  time.Duration // a repeat's longest wait before ErrInFlight
	Poll  time.Duration // how often a key held by another process is read again

	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	ch    chan struct{} // holds a token while the key is free
	users int
}

// maxConflicts bounds the retries of a claim that lost a race to create
// the record (another process inserted it between our read and insert).
const maxConflicts = 3

// Claim takes this process's lock of lockKey, then calls try (one store
// transaction that reads the record and claims it, reports busy for a key
// held elsewhere); while busy it calls try again every Poll. A try that
// fails with store.ErrConflict is retried at once, a few times. Waiting
// ends with ErrInFlight after Wait, or with ctx's error. On success the
// caller must call unlock once, when its request is answered, so that
// the repeats queued behind it in this process read the answer.
func (w *Waiter) Claim(ctx context.Context, lockKey string, try func() (busy bool, err error)) (unlock func(), err error) {
	timeout := w.Clock.After(w.Wait)
	unlock, err = w.lock(ctx, lockKey, timeout)
	if err != nil {
		return nil, err
	}
	for conflicts := 0; ; {
		busy, err := try()
		switch {
		case errors.Is(err, store.ErrConflict) && conflicts < maxConflicts:
			conflicts++
			continue
		case err != nil:
			unlock()
			return nil, err
		case !busy:
			return unlock, nil
		}
		select {
		case <-ctx.Done():
			unlock()
			return nil, ctx.Err()
		case <-timeout:
			unlock()
			return nil, ErrInFlight
		case <-w.Clock.After(w.Poll):
		}
	}
}

// lock waits until the key is free in this process, ctx is done or
// timeout fires.
func (w *Waiter) lock(ctx context.Context, key string, timeout <-chan time.Time) (unlock func(), err error) {
	w.mu.Lock()
	if w.locks == nil {
		w.locks = map[string]*keyLock{}
	}
	l := w.locks[key]
	if l == nil {
		l = &keyLock{ch: make(chan struct{}, 1)}
		l.ch <- struct{}{}
		w.locks[key] = l
	}
	l.users++
	w.mu.Unlock()

	release := func() {
		w.mu.Lock()
		l.users--
		if l.users == 0 {
			delete(w.locks, key)
		}
		w.mu.Unlock()
	}
	select {
	case <-l.ch:
		var once sync.Once
		return func() {
			once.Do(func() {
				l.ch <- struct{}{}
				release()
			})
		}, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	case <-timeout:
		release()
		return nil, ErrInFlight
	}
}

// Package authtest holds what tests of auth's users share: the contract
// suite every auth.KeyStore must pass (the MemoryKeyStore runs it in package
// auth, and iam runs it against its SQL store on SQLite and PostgreSQL), and
// a test server that serves a service's routes behind the bearer check.
package authtest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
)

// KeyStore runs the KeyStore contract against stores made by open. open
// returns a new, empty store per call; reopen, if not nil, returns a fresh
// handle on the same storage as the store it is given (a restart), and the
// suite then checks that keys survive it.
func KeyStore(t *testing.T, open func(t *testing.T) auth.KeyStore, reopen func(t *testing.T, s auth.KeyStore) auth.KeyStore) {
	ctx := context.Background()
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

	mustKey := func(t *testing.T, at time.Time) auth.Key {
		t.Helper()
		k, err := auth.NewKey(at)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	find := func(keys []auth.Key, id string) (auth.Key, bool) {
		for _, k := range keys {
			if k.ID == id {
				return k, true
			}
		}
		return auth.Key{}, false
	}

	t.Run("empty", func(t *testing.T) {
		keys, err := open(t).LoadKeys(ctx)
		if err != nil || len(keys) != 0 {
			t.Fatalf("LoadKeys on a new store = %d keys, %v; want none", len(keys), err)
		}
	})

	t.Run("save load retire", func(t *testing.T) {
		s := open(t)
		a, b := mustKey(t, t0), mustKey(t, t0.Add(time.Hour))
		for _, k := range []auth.Key{a, b} {
			if err := s.SaveKey(ctx, k); err != nil {
				t.Fatalf("SaveKey: %v", err)
			}
		}
		retire := t0.Add(2 * time.Hour)
		if err := s.RetireKey(ctx, a.ID, retire); err != nil {
			t.Fatalf("RetireKey: %v", err)
		}
		check := func(t *testing.T, s auth.KeyStore) {
			t.Helper()
			keys, err := s.LoadKeys(ctx)
			if err != nil || len(keys) != 2 {
				t.Fatalf("LoadKeys = %d keys, %v; want 2", len(keys), err)
			}
			gotA, okA := find(keys, a.ID)
			gotB, okB := find(keys, b.ID)
			switch {
			case !okA || !okB:
				t.Fatalf("LoadKeys lost a key")
			case !bytes.Equal(gotA.Private, a.Private) || !bytes.Equal(gotB.Private, b.Private):
				t.Fatalf("private keys changed in the store")
			case !gotA.CreatedAt.Equal(a.CreatedAt) || !gotB.CreatedAt.Equal(b.CreatedAt):
				t.Fatalf("CreatedAt changed: %v %v", gotA.CreatedAt, gotB.CreatedAt)
			case !gotA.RetireAt.Equal(retire):
				t.Fatalf("RetireAt of the retired key = %v, want %v", gotA.RetireAt, retire)
			case !gotB.RetireAt.IsZero():
				t.Fatalf("RetireAt of the current key = %v, want zero", gotB.RetireAt)
			}
		}
		check(t, s)
		if reopen != nil {
			check(t, reopen(t, s))
		}
	})

	t.Run("duplicate save", func(t *testing.T) {
		s := open(t)
		k := mustKey(t, t0)
		if err := s.SaveKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveKey(ctx, k); err == nil {
			t.Fatal("saving the same key id twice succeeded")
		}
	})

	t.Run("retire unknown", func(t *testing.T) {
		if err := open(t).RetireKey(ctx, "no-such-key", t0); err == nil {
			t.Fatal("RetireKey of an unknown id succeeded")
		}
	})
}

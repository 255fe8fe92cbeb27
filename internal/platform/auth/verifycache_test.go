package auth_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
)

// A token that verified once is remembered, but what can change afterwards
// still counts on every use: expiry, revocation and the key's retirement.
func TestVerifiedTokenIsCheckedAgainOnEveryUse(t *testing.T) {
	ctx := context.Background()
	p := auth.Principal{ID: "u-customer", Role: auth.RoleCustomer}

	t.Run("expiry", func(t *testing.T) {
		f := newFixture(t)
		v := f.verifier(nil)
		tok := f.issue(t, p)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(ttl + skew - time.Second)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("within exp + skew: %v", err)
		}
		f.clock.Advance(time.Second)
		if _, err := v.Verify(ctx, tok); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("at exp + skew: got %v, want ErrInvalidToken", err)
		}
	})

	t.Run("revocation", func(t *testing.T) {
		f := newFixture(t)
		var revoked atomic.Bool
		v := f.verifier(func(context.Context, auth.Principal, time.Time) bool { return revoked.Load() })
		tok := f.issue(t, p)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		revoked.Store(true)
		if _, err := v.Verify(ctx, tok); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("revoked after it verified: got %v, want ErrInvalidToken", err)
		}
		revoked.Store(false)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("no longer revoked: %v", err)
		}
	})

	t.Run("retired key", func(t *testing.T) {
		f := newFixture(t)
		v := f.verifier(nil)
		tok := f.issue(t, p)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		old := f.issuer.CurrentKeyID()
		if err := f.issuer.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := f.store.RetireKey(ctx, old, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := f.issuer.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(ctx, tok); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("key retired after the token verified: got %v, want ErrInvalidToken", err)
		}
	})

	t.Run("a tampered copy is not the cached token", func(t *testing.T) {
		f := newFixture(t)
		v := f.verifier(nil)
		tok := f.issue(t, p)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		tampered := tok[:len(tok)-2] + flip(tok[len(tok)-2:])
		if _, err := v.Verify(ctx, tampered); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("tampered signature: got %v, want ErrInvalidToken", err)
		}
	})
}

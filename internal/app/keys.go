package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"sync"

	"github.com/openhouse/openhouse/internal/platform/auth"
)

// lateKeySource lets the verifier exist before iam is built: in a process
// that runs iam, iam's own issuer becomes the source once iam is built;
// elsewhere it is iam's JWKS endpoint from the start. No request is served
// before either happens.
type lateKeySource struct {
	mu  sync.RWMutex
	src auth.KeySource
}

func (l *lateKeySource) set(src auth.KeySource) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.src = src
}

// PublicKey implements auth.KeySource.
func (l *lateKeySource) PublicKey(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	l.mu.RLock()
	src := l.src
	l.mu.RUnlock()
	if src == nil {
		return nil, errors.New("signing keys are not loaded yet")
	}
	return src.PublicKey(ctx, kid)
}

package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Key is one Ed25519 signing key of the Issuer.
//
// A key is current while RetireAt is zero: new tokens are signed with it.
// Rotation sets RetireAt to the rotation time + token TTL + MaxSkew, the last
// moment a token it signed can still be accepted; from RetireAt on the key is
// neither published in the JWKS nor accepted by the Issuer.
type Key struct {
	ID        string // RFC 7638 thumbprint of the public key; see KeyID
	Private   ed25519.PrivateKey
	CreatedAt time.Time
	RetireAt  time.Time // zero while current
}

// Public returns the public half of k.
func (k Key) Public() ed25519.PublicKey {
	return k.Private.Public().(ed25519.PublicKey)
}

// retiredAt reports whether k is no longer published nor accepted at now.
func (k Key) retiredAt(now time.Time) bool {
	return !k.RetireAt.IsZero() && !now.Before(k.RetireAt)
}

// validate checks that k is a well-formed key whose ID matches its public key,
// so a corrupted store is noticed at start-up instead of as failed logins.
func (k Key) validate() error {
	if len(k.Private) != ed25519.PrivateKeySize {
		return fmt.Errorf("key %q: private key is %d bytes, want %d", k.ID, len(k.Private), ed25519.PrivateKeySize)
	}
	if want := KeyID(k.Public()); k.ID != want {
		return fmt.Errorf("key %q: id does not match its public key (want %q)", k.ID, want)
	}
	return nil
}

// NewKey makes a fresh current key from crypto/rand, created at now.
func NewKey(now time.Time) (Key, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Key{}, fmt.Errorf("generate ed25519 key: %w", err)
	}
	return Key{ID: KeyID(pub), Private: priv, CreatedAt: now}, nil
}

// KeyID is the JWK thumbprint of pub (RFC 7638 with the OKP members of RFC
// 8037): base64url, unpadded, of SHA-256 over
// {"crv":"Ed25519","kty":"OKP","x":"<base64url of pub>"}. Anyone holding the
// JWK can recompute it, and two different keys never share a kid.
func KeyID(pub ed25519.PublicKey) string {
	canonical := `{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`
	sum := sha256.Sum256([]byte(canonical))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// KeyStore persists the Issuer's signing keys. iam implements it in SQL: the
// keys must survive restarts, or every token in flight stops verifying and
// every service's JWKS cache goes stale at once. MemoryKeyStore is for tests
// only.
//
// Implementations must be safe for concurrent use. The Issuer calls them only
// at start-up and on Rotate; an error means nothing was changed and the call
// may be retried. Private keys are secrets: implementations must not log them.
type KeyStore interface {
	// LoadKeys returns every stored key, retired ones included, in any order.
	LoadKeys(ctx context.Context) ([]Key, error)
	// SaveKey stores a new key. A key with the same ID already stored is an
	// error.
	SaveKey(ctx context.Context, k Key) error
	// RetireKey sets the RetireAt of the stored key id to at. An unknown id
	// is an error.
	RetireKey(ctx context.Context, id string, at time.Time) error
}

// ErrUnknownKey is returned by KeyStore implementations for an id they do not
// hold, and by KeySources for a kid they do not know (or no longer accept).
var ErrUnknownKey = errors.New("auth: unknown key")

// MemoryKeyStore is a KeyStore in memory, for tests. It loses every key when
// the process ends, so it must never back a running iam.
type MemoryKeyStore struct {
	mu   sync.Mutex
	keys map[string]Key
}

// NewMemoryKeyStore returns an empty MemoryKeyStore.
func NewMemoryKeyStore() *MemoryKeyStore {
	return &MemoryKeyStore{keys: make(map[string]Key)}
}

// LoadKeys returns copies of the stored keys, oldest first.
func (s *MemoryKeyStore) LoadKeys(ctx context.Context) ([]Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Key, 0, len(s.keys))
	for _, k := range s.keys {
		k.Private = append(ed25519.PrivateKey(nil), k.Private...)
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// SaveKey stores a copy of k.
func (s *MemoryKeyStore) SaveKey(ctx context.Context, k Key) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.keys[k.ID]; dup {
		return fmt.Errorf("save key %q: already stored", k.ID)
	}
	k.Private = append(ed25519.PrivateKey(nil), k.Private...)
	s.keys[k.ID] = k
	return nil
}

// RetireKey sets the RetireAt of key id.
func (s *MemoryKeyStore) RetireKey(ctx context.Context, id string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[id]
	if !ok {
		return fmt.Errorf("retire key %q: %w", id, ErrUnknownKey)
	}
	k.RetireAt = at
	s.keys[id] = k
	return nil
}

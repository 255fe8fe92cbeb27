package auth

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/openhouse/openhouse/internal/platform/clock"
)

// JWKS client timings. They are constants so every service behaves the same.
const (
	// JWKSRefetchInterval is the least time between two fetches of the
	// JWKS, so tokens with forged kids cannot make a service hammer iam.
	JWKSRefetchInterval = 10 * time.Second
	// JWKSMaxAge is how long a fetched JWKS is trusted before the next
	// lookup refreshes it, so keys iam has retired stop verifying here too.
	JWKSMaxAge = 5 * time.Minute
	// JWKSFetchTimeout bounds one fetch.
	JWKSFetchTimeout = 5 * time.Second

	maxJWKSBytes = 1 << 20
)

// JWKSClient is the KeySource of services outside iam: it fetches iam's
// /.well-known/jwks.json, caches the keys and serves lookups from the cache.
//
// It fetches on the first lookup; again when a kid is not in the cache (a
// rotation happened), or when the cache is older than JWKSMaxAge; but never
// twice within JWKSRefetchInterval. Concurrent lookups share one fetch. If a
// refresh of a stale cache fails, the cached keys keep serving (iam being
// briefly down must not log everyone out) until a later refresh succeeds.
// Safe for concurrent use.
type JWKSClient struct {
	url   string
	http  *http.Client
	clock clock.Clock

	fetching chan struct{} // a one-slot semaphore: the holder fetches

	mu        sync.RWMutex
	keys      map[string]ed25519.PublicKey
	fetchedAt time.Time // of the last successful fetch
	triedAt   time.Time // of the last attempt, successful or not
	tried     bool
}

// NewJWKSClient returns a client of the JWKS at url. A nil httpClient means
// one with a JWKSFetchTimeout timeout; a nil clk means clock.Real.
func NewJWKSClient(url string, httpClient *http.Client, clk clock.Clock) *JWKSClient {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: JWKSFetchTimeout}
	}
	if clk == nil {
		clk = clock.Real{}
	}
	return &JWKSClient{url: url, http: httpClient, clock: clk, fetching: make(chan struct{}, 1)}
}

// PublicKey returns the key kid from the cached JWKS, fetching it as the
// type's doc describes. A kid iam does not publish is ErrUnknownKey.
func (c *JWKSClient) PublicKey(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	if pub, ok, fresh := c.cached(kid); ok && fresh {
		return pub, nil
	}

	// Wait for our turn to fetch, or for someone else's fetch to finish.
	select {
	case c.fetching <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.fetching }()

	pub, ok, fresh := c.cached(kid) // another lookup may just have fetched
	if ok && fresh {
		return pub, nil
	}
	if !c.mayFetch() {
		if ok {
			return pub, nil // stale, but a refresh was just tried
		}
		return nil, ErrUnknownKey
	}
	err := c.fetch(ctx)
	if err != nil && !ok {
		return nil, err
	}
	if err == nil {
		pub, ok, _ = c.cached(kid)
		if !ok {
			return nil, ErrUnknownKey
		}
	}
	return pub, nil
}

// cached looks kid up; fresh reports whether the cache is younger than
// JWKSMaxAge.
func (c *JWKSClient) cached(kid string) (pub ed25519.PublicKey, ok, fresh bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	pub, ok = c.keys[kid]
	fresh = c.tried && c.clock.Now().Sub(c.fetchedAt) < JWKSMaxAge
	return pub, ok, fresh
}

func (c *JWKSClient) mayFetch() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return !c.tried || c.clock.Now().Sub(c.triedAt) >= JWKSRefetchInterval
}

// fetch replaces the cache with the JWKS at c.url. Keys that are not Ed25519
// signature keys are skipped. On failure the cache is kept.
func (c *JWKSClient) fetch(ctx context.Context) error {
	now := c.clock.Now()
	c.mu.Lock()
	c.tried, c.triedAt = true, now
	c.mu.Unlock()

	keys, err := c.get(ctx)
	if err != nil {
		return fmt.Errorf("fetch JWKS from %s: %w", c.url, err)
	}
	c.mu.Lock()
	c.keys, c.fetchedAt = keys, now
	c.mu.Unlock()
	return nil
}

func (c *JWKSClient) get(ctx context.Context) (map[string]ed25519.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, JWKSFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxJWKSBytes))
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	var set JWKS
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJWKSBytes)).Decode(&set); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	keys := make(map[string]ed25519.PublicKey, len(set.Keys))
	for _, j := range set.Keys {
		if pub, err := j.publicKey(); err == nil {
			keys[j.Kid] = pub
		}
	}
	return keys, nil
}

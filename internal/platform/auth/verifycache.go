package auth

import (
	"crypto/ed25519"
	"sync"
	"time"
)

// verifiedCacheSize bounds the tokens a Verifier remembers. A client sends
// the same token with every request until it expires (15 min); a few
// thousand entries hold every active user of a busy process. When full,
// the cache starts over: simpler than an LRU, and a miss only costs one
// signature check.
const verifiedCacheSize = 4096

// verifiedCache remembers tokens whose signature and claims verified, so
// that the next request with the same token skips the Ed25519 check (the
// largest part of Verify; BenchmarkVerify times both paths) and the JWT
// parse. What can change after a token verified is checked again on every
// use: the time window (exp, nbf and iat, with the skew), that its key is
// still one the KeySource offers (a retired key ends its tokens), and
// Revoked. A token is the exact bytes that verified: any other string,
// however similar, is a miss and is verified in full.
type verifiedCache struct {
	mu sync.RWMutex
	m  map[string]verifiedToken
}

type verifiedToken struct {
	principal   Principal
	issuedAt    time.Time
	kid         string
	key         ed25519.PublicKey
	from, until time.Time // the claims hold from <= now < until, skew included
}

func newVerifiedCache() *verifiedCache {
	return &verifiedCache{m: make(map[string]verifiedToken)}
}

func (c *verifiedCache) get(token string) (verifiedToken, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.m[token]
	return e, ok
}

func (c *verifiedCache) put(token string, e verifiedToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= verifiedCacheSize {
		clear(c.m)
	}
	c.m[token] = e
}

// holdsAt reports whether the token's time claims hold at now.
func (e verifiedToken) holdsAt(now time.Time) bool {
	return !now.Before(e.from) && now.Before(e.until)
}

package httpapi

import (
	"net/http"
	"time"
)

// peerIdleConns is how many idle connections a process keeps to each peer
// service. A service's event handlers and request handlers call the same
// few peers concurrently (the booking saga calls listing, payment and
// availability from several handlers at once), so the standard library's
// default of 2 idle connections per host closes most connections after one
// request and dials a new one for the next, and that connection churn
// (connect, accept, close) can cost more CPU than the calls' own work
// (docs/performance.md).
const peerIdleConns = 64

// PeerTransport is http.DefaultTransport's configuration (proxy from the
// environment, timeouts, HTTP/2) keeping up to peerIdleConns idle
// connections per peer, for the typed clients between services.
func PeerTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 4 * peerIdleConns
	t.MaxIdleConnsPerHost = peerIdleConns
	t.IdleConnTimeout = 90 * time.Second
	return t
}

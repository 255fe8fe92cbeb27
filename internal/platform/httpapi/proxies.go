package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustProxies makes r.RemoteAddr the client's address when the request
// came through one of the trusted proxies (the gateway, a load balancer):
// it walks X-Forwarded-For from the right, past the trusted hops, and takes
// the first address it does not trust. Without trusted proxies, or from any
// other peer, the header is ignored, since anyone can send it; limits per
// address (login, register) then count the peer itself.
func TrustProxies(trusted []netip.Prefix) Middleware {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	return func(next http.Handler) http.Handler {
		if len(trusted) == 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			peer, ok := addrOf(r.RemoteAddr)
			xff := r.Header.Values("X-Forwarded-For")
			if !ok || !isTrusted(peer) || len(xff) == 0 {
				next.ServeHTTP(w, r)
				return
			}
			hops := strings.Split(strings.Join(xff, ","), ",")
			client := peer
			for i := len(hops) - 1; i >= 0; i-- {
				a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
				if err != nil {
					break // a malformed hop: trust nothing further left
				}
				client = a
				if !isTrusted(a) {
					break
				}
			}
			r2 := r.Clone(r.Context())
			r2.RemoteAddr = netip.AddrPortFrom(client.Unmap(), 0).String()
			next.ServeHTTP(w, r2)
		})
	}
}

func addrOf(remote string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	return a.Unmap(), err == nil
}

package notification

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/openhouse/openhouse/internal/platform/egress"
)

// Where a user's webhook may point. The same rule is applied twice: when
// the webhook is registered (every address its host resolves to then) and
// on every connection the Poster makes (the address actually dialled, after
// DNS, so a name re-pointed to an internal address later is refused too).
// The Poster follows no redirects, so no other address is ever reached.

// Resolver looks up a host name's addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// errNonPublic is why an address is refused.
var errNonPublic = errors.New("non-public address")

// checkAddress says whether a webhook may reach ip: a public address as
// the platform's egress rule has it (egress.Public: global unicast, not
// private, loopback, link-local or special-purpose). allowLoopback (tests)
// also admits loopback addresses.
func checkAddress(ip netip.Addr, allowLoopback bool) error {
	ip = ip.Unmap()
	if allowLoopback && ip.IsLoopback() {
		return nil
	}
	if !egress.Public(ip) {
		return fmt.Errorf("%w %s", errNonPublic, ip)
	}
	return nil
}

// dialGuard refuses addresses a webhook must not reach, after DNS
// resolution, so a name that resolves to an internal address is refused
// too.
func dialGuard(allowLoopback bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return fmt.Errorf("webhook: refusing to dial %q", host)
		}
		if err := checkAddress(ip, allowLoopback); err != nil {
			return fmt.Errorf("webhook: refusing to dial %w", err)
		}
		return nil
	}
}

// checkWebhookHost resolves host (a name or an address literal) and says
// why a webhook there is refused ("" when it is not): any address that is
// not public refuses it, since the dialler may pick any of them. A name
// that does not resolve now is accepted: nothing can be said about it
// yet, and the Poster checks every address it dials.
func checkWebhookHost(ctx context.Context, r Resolver, host string, allowLoopback bool) string {
	const refused = "must point to a public address; its host is or resolves to a loopback, private or otherwise non-public address"
	if ip, err := netip.ParseAddr(host); err == nil {
		if checkAddress(ip, allowLoopback) != nil {
			return refused
		}
		return ""
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return ""
	}
	for _, ip := range addrs {
		if checkAddress(ip, allowLoopback) != nil {
			return refused
		}
	}
	return ""
}

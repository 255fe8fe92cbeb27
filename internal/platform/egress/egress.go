// Package egress fetches URLs that users gave (calendar addresses, and any
// other outbound call to an address a user chose) without letting them
// reach into the network openhouse runs in (SSRF, OWASP API7).
//
// The rule is applied where it cannot be dodged: at dial time, to the
// address actually connected to, through net.Dialer.Control. A name that
// resolves to a private address, a DNS answer that changes between a check
// and the connection (rebinding), and every redirect hop are all caught by
// the same check, because each of them ends in a dial.
package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"syscall"
	"time"
)

// ErrForbiddenAddress is the refusal to connect to a non-public address.
var ErrForbiddenAddress = errors.New("egress: address not allowed")

// ErrTooLarge: the answer is longer than Config.MaxBytes.
var ErrTooLarge = errors.New("egress: answer too large")

// ErrContentType: the answer's Content-Type is not one the caller accepts.
var ErrContentType = errors.New("egress: unexpected content type")

// nonPublic are the special-purpose ranges beyond what netip's predicates
// cover (RFC 6890 and successors): shared address space (CGNAT), IETF
// protocol assignments, documentation, benchmarking, 6to4 relay, reserved,
// NAT64, discard-only, documentation v6.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("192.88.99.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/23"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("fc00::/7"),
}

// Public reports whether a may be connected to: a global unicast address
// that is not private, loopback, link-local (169.254.0.0/16 holds the
// cloud metadata services), multicast, unspecified or special-purpose.
// IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// Config shapes a Client. Zero fields take the defaults.
type Config struct {
	// Timeout bounds a whole fetch, redirects and body included. Default 10s.
	Timeout time.Duration
	// MaxBytes bounds the answer's body. Default 2 MiB.
	MaxBytes int64
	// MaxRedirects is how many redirects are followed. Default 5.
	MaxRedirects int
	// AllowHTTP lets plain http:// URLs through (tests, with Allow);
	// otherwise only https is fetched, redirects included.
	AllowHTTP bool
	// Allow lists non-public prefixes that may still be dialled: tests'
	// local servers. Empty in production.
	Allow []netip.Prefix
	// Lookup resolves names; default net.DefaultResolver.LookupNetIP.
	// Tests inject one that answers what they need (a name for 127.0.0.1).
	Lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)
	// Accept are the media types the answer may have (empty: any).
	Accept []string
	// UserAgent is sent with each request.
	UserAgent string
	// RootCAs, when set, replaces the system's roots (tests: an
	// httptest.NewTLSServer's certificate).
	RootCAs *x509.CertPool
}

// Client fetches user-given URLs under Config's rules. It is safe for
// concurrent use.
type Client struct {
	cfg  Config
	http *http.Client
}

// New returns a Client.
func New(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 2 << 20
	}
	if cfg.MaxRedirects <= 0 {
		cfg.MaxRedirects = 5
	}
	if cfg.Lookup == nil {
		cfg.Lookup = net.DefaultResolver.LookupNetIP
	}
	c := &Client{cfg: cfg}
	dialer := &net.Dialer{Timeout: cfg.Timeout, Control: c.control}
	transport := &http.Transport{
		Proxy: nil, // a proxy would connect for us, past the check
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			return c.dial(ctx, dialer, network, address)
		},
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConnsPerHost:   1,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	if cfg.RootCAs != nil {
		transport.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
	}
	c.http = &http.Client{Timeout: cfg.Timeout, Transport: transport, CheckRedirect: c.checkRedirect}
	return c
}

func (c *Client) allowed(a netip.Addr) bool {
	a = a.Unmap()
	if Public(a) {
		return true
	}
	return slices.ContainsFunc(c.cfg.Allow, func(p netip.Prefix) bool { return p.Contains(a) })
}

// control is the dial-time check: the address about to be connected to,
// after any resolution, must be allowed.
func (c *Client) control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !c.allowed(a) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, host)
	}
	return nil
}

// dial resolves the host with the configured lookup and dials its
// addresses in turn; control refuses the ones not allowed.
func (c *Client) dial(ctx context.Context, d *net.Dialer, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if addrs, err = c.cfg.Lookup(ctx, "ip", host); err != nil {
		return nil, err
	}
	var errs []error
	for _, a := range addrs {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("egress: %s resolves to no address", host)
	}
	return nil, errors.Join(errs...)
}

func (c *Client) checkScheme(u *url.URL) error {
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && c.cfg.AllowHTTP:
	default:
		return fmt.Errorf("egress: %s URLs are not fetched; use https", u.Scheme)
	}
	if u.User != nil {
		return errors.New("egress: URLs with credentials are not fetched")
	}
	return nil
}

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.cfg.MaxRedirects {
		return fmt.Errorf("egress: more than %d redirects", c.cfg.MaxRedirects)
	}
	return c.checkScheme(req.URL)
}

// Get fetches rawURL and returns its body (at most MaxBytes). Errors never
// repeat the URL: it may be a secret (a calendar's private address).
func (c *Client) Get(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, errors.New("egress: not an absolute URL")
	}
	if err := c.checkScheme(u); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errors.New("egress: not a valid URL")
	}
	if c.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, scrub(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("egress: the server answered %d", resp.StatusCode)
	}
	if len(c.cfg.Accept) > 0 {
		mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if err != nil || !slices.Contains(c.cfg.Accept, mt) {
			return nil, fmt.Errorf("%w: %q", ErrContentType, resp.Header.Get("Content-Type"))
		}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBytes+1))
	if err != nil {
		return nil, scrub(err)
	}
	if int64(len(body)) > c.cfg.MaxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, c.cfg.MaxBytes)
	}
	return body, nil
}

// scrub drops the URL that net/http puts in its errors (*url.Error), and
// keeps what went wrong, so that errors.Is still finds ErrForbiddenAddress.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("egress: timed out: %w", context.DeadlineExceeded)
		}
		return fmt.Errorf("egress: %w", ue.Err)
	}
	return err
}

package egress_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/egress"
)

// listener is a TLS server that counts the connections it gets.
type listener struct {
	srv   *httptest.Server
	conns atomic.Int64
}

func listen(t *testing.T, addr string, h http.Handler) *listener {
	t.Helper()
	l := &listener{}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	l.srv = httptest.NewUnstartedServer(h)
	l.srv.Listener = ln
	l.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			l.conns.Add(1)
		}
	}
	l.srv.StartTLS()
	t.Cleanup(l.srv.Close)
	return l
}

func calendar(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	_, _ = w.Write([]byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"))
}

func client(fixture *listener, cfg egress.Config) *egress.Client {
	cfg.Accept = []string{"text/calendar"}
	cfg.RootCAs = x509.NewCertPool()
	cfg.RootCAs.AddCert(fixture.srv.Certificate())
	return egress.New(cfg)
}

func TestFetchesFromAnAllowedServer(t *testing.T) {
	fx := listen(t, "127.0.0.1:0", http.HandlerFunc(calendar))
	c := client(fx, egress.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	body, err := c.Get(t.Context(), fx.srv.URL+"/private/secret-address/basic.ics")
	if err != nil || !strings.HasPrefix(string(body), "BEGIN:VCALENDAR") {
		t.Fatalf("Get = %q, %v", body, err)
	}
}

// TestRefusesNonPublicAddresses: loopback, private, link-local (the cloud
// metadata address) and IPv6 loopback, by address or by a name that
// resolves to one, and a redirect to one, are refused before any
// connection: the listener there hears nothing.
func TestRefusesNonPublicAddresses(t *testing.T) {
	victim := listen(t, "127.0.0.1:0", http.HandlerFunc(calendar))
	_, port, _ := net.SplitHostPort(victim.srv.Listener.Addr().String())
	lookup := func(_ context.Context, _, host string) ([]netip.Addr, error) {
		if host == "calendar.example.test" {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, errors.New("no such host")
	}
	c := client(victim, egress.Config{Lookup: lookup})
	for _, u := range []string{
		"https://127.0.0.1:" + port + "/cal.ics",
		"https://10.0.0.1:" + port + "/cal.ics",
		"https://169.254.169.254/latest/meta-data/",
		"https://[::ffff:127.0.0.1]:" + port + "/cal.ics",
		"https://calendar.example.test:" + port + "/cal.ics",
	} {
		_, err := c.Get(t.Context(), u)
		if !errors.Is(err, egress.ErrForbiddenAddress) {
			t.Errorf("Get %s = %v, want ErrForbiddenAddress", u, err)
		}
	}
	if n := victim.conns.Load(); n != 0 {
		t.Errorf("the listener at 127.0.0.1 got %d connections", n)
	}

	if v6 := listenV6(t); v6 != nil {
		_, p6, _ := net.SplitHostPort(v6.srv.Listener.Addr().String())
		if _, err := c.Get(t.Context(), "https://[::1]:"+p6+"/cal.ics"); !errors.Is(err, egress.ErrForbiddenAddress) {
			t.Errorf("Get [::1] = %v, want ErrForbiddenAddress", err)
		}
		if n := v6.conns.Load(); n != 0 {
			t.Errorf("the listener at [::1] got %d connections", n)
		}
	}

	// A redirect from an allowed server (127.0.0.1 only) to another
	// loopback address (127.0.0.2): the hop is refused at its dial.
	target := listen(t, "127.0.0.2:0", http.HandlerFunc(calendar))
	redirector := listen(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.srv.URL+"/cal.ics", http.StatusFound)
	}))
	rc := client(redirector, egress.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	if _, err := rc.Get(t.Context(), redirector.srv.URL+"/cal.ics"); !errors.Is(err, egress.ErrForbiddenAddress) {
		t.Errorf("redirect to 127.0.0.2 = %v, want ErrForbiddenAddress", err)
	}
	if redirector.conns.Load() != 1 || target.conns.Load() != 0 {
		t.Errorf("connections: redirector %d (want 1), target %d (want 0)", redirector.conns.Load(), target.conns.Load())
	}
}

func listenV6(t *testing.T) *listener {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Logf("no IPv6 loopback here (%v); [::1] is checked by TestPublic", err)
		return nil
	}
	_ = ln.Close()
	return listen(t, "[::1]:0", http.HandlerFunc(calendar))
}

func TestRefusesPlainHTTPTooLargeAndWrongType(t *testing.T) {
	allow := egress.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, MaxBytes: 100}
	big := listen(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/calendar")
		_, _ = w.Write([]byte(strings.Repeat("X", 101)))
	}))
	if _, err := client(big, allow).Get(t.Context(), big.srv.URL); !errors.Is(err, egress.ErrTooLarge) {
		t.Errorf("101 bytes over a 100-byte limit = %v", err)
	}
	html := listen(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>"))
	}))
	if _, err := client(html, allow).Get(t.Context(), html.srv.URL); !errors.Is(err, egress.ErrContentType) {
		t.Errorf("text/html = %v", err)
	}
	plain := "http://" + strings.TrimPrefix(big.srv.URL, "https://")
	if _, err := client(big, allow).Get(t.Context(), plain); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("plain http = %v", err)
	}
	if n := big.conns.Load(); n != 1 {
		t.Errorf("the plain http attempt reached the server: %d connections", n)
	}
}

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true,
		"127.0.0.1": false, "10.0.0.1": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "::1": false, "fe80::1": false, "fd00::1": false, "0.0.0.0": false,
		"100.64.0.1": false, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false, "224.0.0.1": false,
		"fd00:ec2::254": false, "64:ff9b::a00:1": false,
	} {
		if got := egress.Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

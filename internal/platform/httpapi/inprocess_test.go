package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// seen is what a handler observed of a request.
type seen struct {
	Method, RequestURI, Path, RawQuery, Host, Proto, Body string
	URLHost, Scheme                                       string
	Headers                                               []string
	Loopback                                              bool
}

// observing answers each request according to its path and reports what
// it saw on the channel.
func observing(seenCh chan<- seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		var names []string
		for k := range r.Header {
			if k != "Accept-Encoding" { // the network client adds gzip; nothing here compresses
				names = append(names, k+"="+r.Header.Get(k))
			}
		}
		slices.Sort(names)
		seenCh <- seen{Method: r.Method, RequestURI: r.RequestURI, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
			Host: r.Host, Proto: r.Proto, Body: string(body), URLHost: r.URL.Host, Scheme: r.URL.Scheme,
			Headers: names, Loopback: net.ParseIP(host).IsLoopback()}
		switch r.URL.Path {
		case "/created":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Location", "/things/1")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id":"1"}`)
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/problem":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusConflict)
			fmt.Fprint(w, `{"status":409}`)
		case "/implicit":
			fmt.Fprint(w, "<html>hello</html>")
		}
	})
}

// The same handler answers the same requests alike over a socket and in
// process, and sees them alike.
func TestInProcessServesAsTheNetworkDoes(t *testing.T) {
	seenCh := make(chan seen, 1)
	h := observing(seenCh)
	srv := httptest.NewServer(h)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	network := &http.Client{}
	local := &httpapi.InProcess{Host: host, Next: failingTransport{}}
	local.Serve(h)
	inProcess := &http.Client{Transport: local}

	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/created?x=1&y=a%20b", `{"a":1}`},
		{"GET", "/empty", ""},
		{"PATCH", "/problem", "{}"},
		{"GET", "/implicit", ""},
		{"HEAD", "/implicit", ""},
		{"GET", "/p%2Fath/with%20escapes?q=%C3%A9", ""},
	} {
		do := func(c *http.Client) (*http.Response, string, seen) {
			t.Helper()
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer t")
			req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.method, tc.path, err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp, string(b), <-seenCh
		}
		netResp, netBody, netSeen := do(network)
		locResp, locBody, locSeen := do(inProcess)
		what := tc.method + " " + tc.path
		if fmt.Sprint(netSeen) != fmt.Sprint(locSeen) {
			t.Errorf("%s: handler saw\n%+v over the network,\n%+v in process", what, netSeen, locSeen)
		}
		if netResp.StatusCode != locResp.StatusCode || netBody != locBody || netResp.Proto != locResp.Proto ||
			netResp.ContentLength != locResp.ContentLength {
			t.Errorf("%s: %d %q %s %d over the network, %d %q %s %d in process", what,
				netResp.StatusCode, netBody, netResp.Proto, netResp.ContentLength,
				locResp.StatusCode, locBody, locResp.Proto, locResp.ContentLength)
		}
		if (netResp.Header.Get("Date") == "") != (locResp.Header.Get("Date") == "") {
			t.Errorf("%s: Date %q over the network, %q in process", what, netResp.Header.Get("Date"), locResp.Header.Get("Date"))
		}
		for _, k := range []string{"Content-Type", "Location", "Content-Length"} {
			if n, l := netResp.Header.Get(k), locResp.Header.Get(k); n != l {
				t.Errorf("%s: %s %q over the network, %q in process", what, k, n, l)
			}
		}
	}
}

// failingTransport stands for the network in tests where nothing may use it.
type failingTransport struct{}

func (failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("%s went over the network", r.URL)
}

type callerKey struct{}

// The handler's context carries none of the caller's values (its identity,
// say) and ends when the caller gives up.
func TestInProcessContextIsTheHandlers(t *testing.T) {
	started, values := make(chan struct{}), make(chan any, 1)
	ended := make(chan error, 1)
	local := &httpapi.InProcess{Host: "svc.test:80", Next: failingTransport{}}
	local.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values <- r.Context().Value(callerKey{})
		close(started)
		select {
		case <-r.Context().Done():
			ended <- r.Context().Err()
		case <-time.After(10 * time.Second):
			ended <- errors.New("the handler's context outlived the caller's")
		}
	}))
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), callerKey{}, "customer claims"))
	go func() { <-started; cancel() }()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://svc.test:80/slow", nil)
	if _, err := (&http.Client{Transport: local}).Do(req); !errors.Is(err, context.Canceled) {
		t.Errorf("call = %v, want context.Canceled", err)
	}
	if v := <-values; v != nil {
		t.Errorf("the handler saw the caller's value %v", v)
	}
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Error(err)
	}
}

// Other hosts, and the own host before Serve, go to Next; a handler that
// panics fails the call.
func TestInProcessRouting(t *testing.T) {
	var served []string
	next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		served = append(served, r.URL.Host)
		return &http.Response{StatusCode: http.StatusTeapot, Body: http.NoBody, Request: r}, nil
	})
	local := &httpapi.InProcess{Host: "own.test:80", Next: next}
	c := &http.Client{Transport: local}
	get := func(url string) (int, error) {
		resp, err := c.Get(url)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if code, _ := get("http://own.test:80/x"); code != http.StatusTeapot {
		t.Errorf("before Serve: %d, want the network's answer", code)
	}
	local.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	if code, _ := get("http://own.test:80/x"); code != http.StatusAccepted {
		t.Errorf("own host: %d, want the handler's 202", code)
	}
	if code, _ := get("http://other.test:80/x"); code != http.StatusTeapot {
		t.Errorf("other host: %d, want the network's answer", code)
	}
	if _, err := get("http://own.test:80/panic"); err == nil {
		t.Error("a panicking handler answered")
	}
	if want := []string{"own.test:80", "other.test:80"}; !slices.Equal(served, want) {
		t.Errorf("the network served %v, want %v", served, want)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestLocalHost(t *testing.T) {
	for addr, want := range map[string]string{
		"[::]:8080":      "127.0.0.1:8080",
		":8080":          "127.0.0.1:8080",
		"0.0.0.0:80":     "127.0.0.1:80",
		"10.0.0.5:8080":  "10.0.0.5:8080",
		"127.0.0.1:1234": "127.0.0.1:1234",
	} {
		if got := httpapi.LocalHost(addr); got != want {
			t.Errorf("LocalHost(%q) = %q, want %q", addr, got, want)
		}
	}
}

// BenchmarkPeerCall is one call between services as the typed clients make
// it (a GET with a bearer token, a JSON answer of about 600 bytes), over
// the loopback with a PeerTransport and in process: what InProcess saves
// per call, the handler's own work aside.
func BenchmarkPeerCall(b *testing.B) {
	answer := `{"id":"` + strings.Repeat("a", 36) + `","title":"` + strings.Repeat("x", 500) + `"}`
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, answer)
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	local := &httpapi.InProcess{Host: strings.TrimPrefix(srv.URL, "http://"), Next: failingTransport{}}
	local.Serve(h)
	for name, c := range map[string]*http.Client{
		"network":    {Transport: httpapi.PeerTransport()},
		"in-process": {Transport: local},
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/listings/123", nil)
				req.Header.Set("Authorization", "Bearer "+strings.Repeat("t", 300))
				resp, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, resp.Body); err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
			}
		})
	}
}

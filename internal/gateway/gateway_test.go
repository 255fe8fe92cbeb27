package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// upstream is a real HTTP server standing for one instance: it echoes its
// name and the body it received, and its /healthz answers as told.
type upstream struct {
	*httptest.Server
	name    string
	hits    atomic.Int64
	healthy atomic.Bool
}

func newUpstream(t *testing.T, name string) *upstream {
	t.Helper()
	u := &upstream{name: name}
	u.healthy.Store(true)
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			if !u.healthy.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			return
		}
		u.hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Instance", u.name)
		_, _ = w.Write(body)
	}))
	t.Cleanup(u.Close)
	return u
}

func newGateway(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	if cfg.Routes == nil {
		cfg.Routes = []Route{{"/tours", "tour"}}
	}
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestRoundRobinOverInstances(t *testing.T) {
	a, b := newUpstream(t, "a"), newUpstream(t, "b")
	gw := newGateway(t, Config{Upstreams: map[string][]string{"tour": {a.URL, b.URL}}})
	for range 10 {
		resp, body := post(t, gw.URL+"/tours/1", `{"x":1}`)
		if resp.StatusCode != 200 || body != `{"x":1}` {
			t.Fatalf("status %d body %q", resp.StatusCode, body)
		}
	}
	if a.hits.Load() != 5 || b.hits.Load() != 5 {
		t.Fatalf("hits a=%d b=%d, want 5 and 5", a.hits.Load(), b.hits.Load())
	}
}

func TestPathPrefixRouting(t *testing.T) {
	tours, carts := newUpstream(t, "tours"), newUpstream(t, "carts")
	gw := newGateway(t, Config{
		Upstreams: map[string][]string{"tour": {tours.URL}, "cart": {carts.URL}},
		Routes:    []Route{{"/tours", "tour"}, {"/cart", "cart"}, {"/carts", "cart"}},
	})
	for path, want := range map[string]string{"/tours": "tours", "/tours/x/y": "tours", "/cart/checkout": "carts", "/carts": "carts"} {
		resp, _ := post(t, gw.URL+path, "")
		if got := resp.Header.Get("X-Instance"); got != want {
			t.Errorf("%s went to %q, want %q", path, got, want)
		}
	}
	resp, body := post(t, gw.URL+"/toursx", "")
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != httpapi.ProblemContentType {
		t.Fatalf("unrouted path: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

// deadURL is a loopback address nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestFailsOverWhenAnInstanceIsDownWithTheBodyIntact(t *testing.T) {
	live := newUpstream(t, "live")
	g, err := New(Config{Upstreams: map[string][]string{"tour": {deadURL(t), live.URL}}, Routes: []Route{{"/tours", "tour"}}})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(g)
	defer gw.Close()
	for i := range 4 {
		resp, body := post(t, gw.URL+"/tours", `{"n":`+string(rune('0'+i))+`}`)
		if resp.StatusCode != 200 || body != `{"n":`+string(rune('0'+i))+`}` {
			t.Fatalf("request %d: status %d body %q", i, resp.StatusCode, body)
		}
	}
	if got := g.Healthy()["tour"]; got != 1 {
		t.Fatalf("healthy tour instances = %d, want 1 (the dead one ejected)", got)
	}
}

func TestProbesTakeInstancesOutAndBack(t *testing.T) {
	a, b := newUpstream(t, "a"), newUpstream(t, "b")
	g, err := New(Config{Upstreams: map[string][]string{"tour": {a.URL, b.URL}}, Routes: []Route{{"/tours", "tour"}}})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(g)
	defer gw.Close()
	a.healthy.Store(false)
	g.Probe(context.Background())
	for range 6 {
		post(t, gw.URL+"/tours", "")
	}
	if a.hits.Load() != 0 || b.hits.Load() != 6 {
		t.Fatalf("with a unhealthy: hits a=%d b=%d, want 0 and 6", a.hits.Load(), b.hits.Load())
	}
	a.healthy.Store(true)
	g.Probe(context.Background())
	for range 6 {
		post(t, gw.URL+"/tours", "")
	}
	if a.hits.Load() != 3 {
		t.Fatalf("after recovery a got %d of 6, want 3", a.hits.Load())
	}
}

func TestNoInstanceAnswersIsAProblem(t *testing.T) {
	gw := newGateway(t, Config{Upstreams: map[string][]string{"tour": {deadURL(t), deadURL(t)}}})
	resp, body := post(t, gw.URL+"/tours", `{}`)
	var p httpapi.Problem
	if err := json.Unmarshal([]byte(body), &p); err != nil || resp.StatusCode != http.StatusBadGateway ||
		resp.Header.Get("Content-Type") != httpapi.ProblemContentType || p.Status != 502 {
		t.Fatalf("status %d, type %q, body %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func TestSlowInstanceTimesOut(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	gw := newGateway(t, Config{Upstreams: map[string][]string{"tour": {slow.URL}}, ResponseTimeout: 50 * time.Millisecond})
	resp, body := post(t, gw.URL+"/tours", "")
	if resp.StatusCode != http.StatusGatewayTimeout || resp.Header.Get("Content-Type") != httpapi.ProblemContentType {
		t.Fatalf("status %d body %q", resp.StatusCode, body)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, cfg := range map[string]Config{
		"bad url":        {Upstreams: map[string][]string{"tour": {"ftp://x"}}, Routes: []Route{{"/tours", "tour"}}},
		"route no pool":  {Upstreams: map[string][]string{"tour": {"http://x"}}, Routes: []Route{{"/cart", "cart"}}},
		"empty instance": {Upstreams: map[string][]string{"tour": {}}, Routes: []Route{{"/tours", "tour"}}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// A proxied event stream outlives the gateway server's write timeout (the
// service bounds its age); without streamWriter it is cut at the timeout.
func TestEventStreamsOutliveTheWriteTimeout(t *testing.T) {
	const events, every, writeTimeout = 12, 25 * time.Millisecond, 100 * time.Millisecond
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		tick := time.NewTicker(every) // the stream's pace is the scenario, not a wait
		defer tick.Stop()
		for i := range events {
			if _, err := io.WriteString(w, "data: "+strings.Repeat("x", i)+"\n\n"); err != nil {
				return
			}
			_ = rc.Flush()
			select {
			case <-tick.C:
			case <-r.Context().Done():
				return
			}
		}
	}))
	t.Cleanup(up.Close)
	g, err := New(Config{Upstreams: map[string][]string{"web": {up.URL}}, Routes: []Route{{"/events", "web"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(g)
	srv.Config.WriteTimeout = writeTimeout
	srv.Start()
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/events/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if got := strings.Count(string(raw), "data: "); got != events || err != nil {
		t.Fatalf("read %d of %d events (%v); the stream was cut after the %s write timeout", got, events, err, writeTimeout)
	}
}

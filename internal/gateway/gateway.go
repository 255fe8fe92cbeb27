// Package gateway is the front door of the distributed mode: a reverse
// proxy that sends each path prefix of the API contract to the instances of
// the service that owns it. Instances come from configuration (no discovery
// service); they are probed on /healthz, taken out of rotation when a probe
// fails or a connection to them cannot be made, and put back when a probe
// succeeds. Requests go round-robin over the healthy ones.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// Config is what the gateway routes and how patiently.
type Config struct {
	// Upstreams maps each service to the base URLs of its instances.
	Upstreams map[string][]string
	// Routes maps path prefixes to services; nil means ContractRoutes.
	Routes []Route
	// ResponseTimeout bounds the wait for an instance's response headers;
	// past it the client gets 504. Default 30s (a checkout calls payment,
	// which may call a card gateway).
	ResponseTimeout time.Duration
	// DialTimeout bounds connecting to an instance; a failed or slow
	// connect ejects the instance and the request tries the next. Default 1s.
	DialTimeout time.Duration
	// ProbeInterval is how often every instance's /healthz is probed, and
	// ProbeTimeout how long one probe may take. Defaults 1s and 1s.
	ProbeInterval, ProbeTimeout time.Duration
	Clock                       clock.Clock
	Logger                      *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Routes == nil {
		c.Routes = ContractRoutes
	}
	if c.ResponseTimeout == 0 {
		c.ResponseTimeout = 30 * time.Second
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = time.Second
	}
	if c.ProbeInterval == 0 {
		c.ProbeInterval = time.Second
	}
	if c.ProbeTimeout == 0 {
		c.ProbeTimeout = time.Second
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Gateway is an http.Handler; Run keeps its view of instance health fresh.
type Gateway struct {
	cfg   Config
	pools map[string]*pool
	mux   *http.ServeMux
	probe *http.Client
}

// New checks that every routed service has at least one instance URL.
func New(cfg Config) (*Gateway, error) {
	cfg.setDefaults()
	g := &Gateway{cfg: cfg, pools: map[string]*pool{}, mux: http.NewServeMux()}
	for service, raws := range cfg.Upstreams {
		var urls []*url.URL
		for _, raw := range raws {
			u, err := url.Parse(raw)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, fmt.Errorf("gateway: %s: %q is not an http(s) URL", service, raw)
			}
			urls = append(urls, u)
		}
		if len(urls) == 0 {
			return nil, fmt.Errorf("gateway: %s has no instance", service)
		}
		g.pools[service] = newPool(service, urls)
	}
	transport := &http.Transport{
		Proxy:                 nil, // instances are addressed directly
		DialContext:           (&net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: cfg.ResponseTimeout,
	}
	g.probe = &http.Client{Transport: transport, Timeout: cfg.ProbeTimeout}
	for _, r := range cfg.Routes {
		p, ok := g.pools[r.Service]
		if !ok {
			return nil, fmt.Errorf("gateway: no instances of %s, which serves %s", r.Service, r.Prefix)
		}
		h := liftStreamDeadlines(g.proxy(p, transport))
		g.mux.Handle(r.Prefix, h)
		g.mux.Handle(strings.TrimSuffix(r.Prefix, "/")+"/", h)
	}
	g.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteProblem(w, r, httpapi.NotFound("no service serves this path"))
	})
	return g, nil
}

// ServeHTTP routes r by its path.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.mux.ServeHTTP(w, r) }

// proxy forwards to one of p's instances, chosen by failover.
func (g *Gateway) proxy(p *pool, transport http.RoundTripper) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = p.service // failover picks the real instance
			pr.Out.Host = ""
			pr.SetXForwarded()
		},
		Transport: &failover{pool: p, next: transport, log: g.cfg.Logger},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			var timeout interface{ Timeout() bool }
			switch {
			case errors.Is(err, context.Canceled):
				// the client went away; nobody reads the answer
				w.WriteHeader(499)
			case errors.As(err, &timeout) && timeout.Timeout():
				httpapi.WriteProblem(w, r, &httpapi.Problem{Type: httpapi.TypeUnavailable,
					Title: "Gateway Timeout", Status: http.StatusGatewayTimeout,
					Detail: p.service + " did not answer in time"})
			default:
				httpapi.WriteProblem(w, r, &httpapi.Problem{Type: httpapi.TypeUnavailable,
					Title: "Bad Gateway", Status: http.StatusBadGateway,
					Detail: p.service + " is unavailable; retry later"})
			}
		},
	}
}

// Healthy reports how many instances of each service are in rotation.
func (g *Gateway) Healthy() map[string]int {
	out := map[string]int{}
	for name, p := range g.pools {
		out[name] = p.healthyCount()
	}
	return out
}

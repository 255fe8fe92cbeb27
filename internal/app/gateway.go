package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/openhouse/openhouse/internal/gateway"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// GatewayName is the pseudo-service of `serve --services gateway`: the
// reverse proxy in front of the service processes of the distributed mode.
// It runs alone in its process and needs no database or bus.
const GatewayName = "gateway"

// IsGateway reports whether services names the gateway.
func IsGateway(services []string) bool {
	return len(services) == 1 && services[0] == GatewayName
}

// parseUpstreams reads OPENHOUSE_UPSTREAMS: "iam=http://h1:8081,iam=http://h2:8081,listing=...",
// one pair per instance.
func parseUpstreams(s string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, raw, ok := strings.Cut(part, "=")
		if !ok || !slices.Contains(ServiceNames(), name) {
			return nil, fmt.Errorf("OPENHOUSE_UPSTREAMS: %q is not service=URL for a known service", part)
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("OPENHOUSE_UPSTREAMS: %s: %q is not an http(s) URL", name, raw)
		}
		out[name] = append(out[name], strings.TrimSuffix(raw, "/"))
	}
	return out, nil
}

func validateGateway(c Config) error {
	for _, name := range ServiceNames() {
		if len(c.Upstreams[name]) == 0 {
			return fmt.Errorf("OPENHOUSE_UPSTREAMS must list at least one instance of %s for the gateway", name)
		}
	}
	return nil
}

// Gateway is a running gateway process.
type Gateway struct {
	cfg      Config
	log      *slog.Logger
	gw       *gateway.Gateway
	listener net.Listener
	server   *http.Server
}

// NewGateway binds the gateway's listener; Run serves.
func NewGateway(cfg Config, log *slog.Logger) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !IsGateway(cfg.Services) {
		return nil, errors.New("OPENHOUSE_SERVICES must be gateway for a gateway process")
	}
	gw, err := gateway.New(gateway.Config{Upstreams: cfg.Upstreams, Logger: log})
	if err != nil {
		return nil, err
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	health := &httpapi.Health{}
	health.Add("upstreams", func(context.Context) error {
		var down []string
		for service, n := range gw.Healthy() {
			if n == 0 {
				down = append(down, service)
			}
		}
		if len(down) > 0 {
			slices.Sort(down)
			return fmt.Errorf("no healthy instance of %s", strings.Join(down, ", "))
		}
		return nil
	})
	mux := http.NewServeMux()
	if err := auth.Mount(mux, healthRoutes(health, registry)); err != nil {
		return nil, err
	}
	mux.Handle("/", gw)
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on OPENHOUSE_HTTP_ADDR %q: %w", cfg.HTTPAddr, err)
	}
	handler := httpapi.Chain(mux,
		httpapi.RequestID,
		httpapi.Logging(log),
		httpapi.Metrics(registry, "gateway"),
		httpapi.Recover,
	)
	return &Gateway{cfg: cfg, log: log, gw: gw, listener: ln, server: httpapi.NewServer(cfg.HTTPAddr, handler)}, nil
}

// Addr is the address the gateway listens on.
func (g *Gateway) Addr() string { return g.listener.Addr().String() }

// Run probes the instances and serves until ctx is cancelled, then lets
// requests in flight finish.
func (g *Gateway) Run(ctx context.Context) error {
	probeCtx, stopProbe := context.WithCancel(ctx)
	defer stopProbe()
	probed := make(chan struct{})
	go func() {
		defer close(probed)
		_ = g.gw.Run(probeCtx)
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- g.server.Serve(g.listener) }()
	g.log.Info("openhouse gateway serving", "addr", g.Addr(), "upstreams", g.cfg.Upstreams)
	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("http server: %w", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), g.cfg.ShutdownTimeout)
	defer cancel()
	if e := g.server.Shutdown(shutdownCtx); e != nil {
		g.log.Warn("http shutdown", "err", e)
	}
	stopProbe()
	<-probed
	g.log.Info("stopped")
	return err
}

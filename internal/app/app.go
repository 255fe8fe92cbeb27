// Package app wires the services into one process for `openhouse serve`:
// it opens each service's database and the bus, starts outbox relays and
// consumers, mounts every HTTP route on one listener, and shuts all of it
// down in order. It is the only package that imports service packages.
package app

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"

	"github.com/openhouse/openhouse/docs"
	"github.com/openhouse/openhouse/internal/platform/apidoc"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/egress"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/telemetry"
	"github.com/openhouse/openhouse/internal/web"
)

// App is a running openhouse process: some or all services.
type App struct {
	cfg      Config
	log      *slog.Logger
	clock    clock.Clock
	bus      *bus.Bus
	dbs      []*store.DB
	relays   []*outbox.Relay
	parts    []component
	routes   []auth.Route // every route this process serves, as mounted
	web      *web.Web     // the web app; its live streams end at shutdown
	listener net.Listener
	server   *http.Server
	registry *prometheus.Registry
	tracer   trace.TracerProvider
	// stopTracing flushes and stops the exporter New started (not one a
	// test injected).
	stopTracing func(context.Context) error

	// control is the control socket of an embedded process (nil
	// otherwise); backingUp is held while a backup runs.
	control   *control
	backingUp sync.Mutex

	keys        *lateKeySource
	verifier    *auth.Verifier
	revocations *auth.Revocations
	secrets     map[string]string
	httpClient  *http.Client
	// inProcess serves the calls to this process's own services without
	// a socket (httpapi.InProcess).
	inProcess *httpapi.InProcess
	// calendarFetch is what tests let the calendar import reach (their
	// local servers); zero in serve.
	calendarFetch egress.Config
}

// Option changes how New builds the app; tests use them.
type Option func(*App)

// WithTracerProvider replaces the tracer provider the app would build from
// OTEL_EXPORTER_OTLP_ENDPOINT (tests record spans in memory with it).
func WithTracerProvider(tp trace.TracerProvider) Option { return func(a *App) { a.tracer = tp } }

// WithCalendarFetch lets the import of realtors' calendars reach the
// non-public prefixes allow and trust roots instead of the system's roots:
// a test's local https server (httptest.NewTLSServer). serve never sets it.
func WithCalendarFetch(roots *x509.CertPool, allow ...netip.Prefix) Option {
	return func(a *App) { a.calendarFetch = egress.Config{RootCAs: roots, Allow: allow} }
}

// WithClock replaces the wall clock every service reads (tests jump a
// running app past a tour's end with a clock.Shifted).
func WithClock(c clock.Clock) Option { return func(a *App) { a.clock = c } }

// Registry is the process's Prometheus registry, the one /metrics serves.
func (a *App) Registry() *prometheus.Registry { return a.registry }

// New opens every dependency of the configured services and binds the HTTP
// listener, but starts no work: Run does.
func New(ctx context.Context, cfg Config, log *slog.Logger, opts ...Option) (_ *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: log, clock: clock.Real{}, registry: prometheus.NewRegistry()}
	if cfg.ClockOffset != 0 {
		shifted := clock.NewShifted()
		shifted.Jump(cfg.ClockOffset)
		a.clock = shifted
		log.Warn("the services' clock is shifted from the machine's", "offset", cfg.ClockOffset.String())
	}
	for _, o := range opts {
		o(a)
	}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if a.tracer == nil {
		a.tracer, a.stopTracing, err = telemetry.TracerProviderFromEnv(ctx, "openhouse")
		if err != nil {
			return nil, err
		}
	}

	if cfg.embedded() {
		// Before opening anything: it refuses a data directory that
		// another process serves.
		if err := a.listenControl(); err != nil {
			return nil, err
		}
	}
	a.listener, err = net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on OPENHOUSE_HTTP_ADDR %q: %w", cfg.HTTPAddr, err)
	}
	a.secrets, err = serviceSecrets(cfg.ServiceCredentials, len(cfg.Services) == len(ServiceNames()))
	if err != nil {
		return nil, err
	}
	a.inProcess = &httpapi.InProcess{Host: httpapi.LocalHost(a.listener.Addr().String())}
	a.httpClient = &http.Client{Timeout: 10 * time.Second, Transport: httpapi.TracingTransport(a.inProcess, a.tracer)}
	a.keys = &lateKeySource{}
	if !slices.Contains(cfg.Services, "iam") {
		a.keys.set(auth.NewJWKSClient(a.peer("iam")+"/.well-known/jwks.json", a.httpClient, a.clock))
	}
	a.revocations = auth.NewRevocations(a.clock, auth.DefaultMaxSkew)
	a.verifier = auth.NewVerifier(a.keys, auth.VerifierConfig{Clock: a.clock, Revoked: a.revocations.Revoked})

	a.bus, err = bus.Connect(ctx, bus.Config{
		Namespace: cfg.Namespace,
		URL:       cfg.NATSURL,
		TLSCA:     cfg.NATSTLSCA,
		TLSCert:   cfg.NATSTLSCert,
		TLSKey:    cfg.NATSTLSKey,
		DataDir:   cfg.DataDir,
		Replicas:  cfg.StreamReplicas,
		Logger:    log,
		Metrics:   a.registry,
		Tracer:    a.tracer,
	})
	if err != nil {
		return nil, err
	}
	health := &httpapi.Health{}
	health.Add("nats", a.bus.Ping)

	mux := http.NewServeMux()
	for _, name := range cfg.Services {
		m, ok := moduleNamed(name)
		if !ok {
			return nil, fmt.Errorf("unknown service %q", name)
		}
		part, err := a.start(ctx, m, health)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		a.parts = append(a.parts, part)
	}
	if slices.Contains(cfg.Services, PlacesHost) {
		placesRoutes, err := a.placesRoutes()
		if err != nil {
			return nil, fmt.Errorf("places: %w", err)
		}
		a.routes = append(a.routes, placesRoutes...)
	}
	a.routes = append(a.routes, deadLetterRoutes(a.bus, a.auditor())...)
	a.routes = append(a.routes, healthRoutes(health, a.registry)...)
	a.routes = append(a.routes, apidoc.Routes(docs.OpenAPI, docs.AsyncAPI)...)
	webRoutes, err := a.webRoutes()
	if err != nil {
		return nil, err
	}
	a.routes = append(a.routes, webRoutes...)
	a.routes = limitRoutes(a.routes, cfg.RateLimits, a.clock)
	if err := auth.Mount(mux, a.routes); err != nil {
		return nil, err
	}

	handler := httpapi.Chain(mux,
		httpapi.Tracing(a.tracer),
		httpapi.TrustProxies(cfg.TrustedProxies),
		httpapi.RequestID,
		httpapi.Logging(log),
		httpapi.Metrics(a.registry, "openhouse"),
		httpapi.Recover,
		httpapi.SecurityHeaders,
		httpapi.CORS(cfg.CORSOrigins),
		auth.Authenticate(a.verifier),
		httpapi.MuxErrors,
	)
	a.server = httpapi.NewServer(cfg.HTTPAddr, handler)
	a.inProcess.Serve(handler)
	a.server.RegisterOnShutdown(a.web.Close) // live streams would hold Shutdown until its timeout
	return a, nil
}

// start opens one service's database and builds it.
func (a *App) start(ctx context.Context, m module, health *httpapi.Health) (component, error) {
	db, err := store.Open(ctx, store.Config{URL: a.cfg.DatabaseURL, DataDir: a.cfg.DataDir}, a.cfg.dbName(m.name))
	if err != nil {
		return nil, err
	}
	a.dbs = append(a.dbs, db)
	if err := outbox.Migrate(ctx, db); err != nil {
		return nil, err
	}
	health.Add("db_"+m.name, db.PingContext)
	a.relays = append(a.relays, outbox.NewRelay(db, a.bus, outbox.RelayConfig{
		Clock: a.clock, Logger: a.log, Service: m.name, Metrics: a.registry}))
	part, err := m.build(ctx, env{
		Config:         a.cfg,
		DB:             db,
		Bus:            a.bus,
		Clock:          a.clock,
		Log:            a.log.With("service", m.name),
		Auth:           a.verifier,
		Peer:           a.peer,
		HTTP:           a.httpClient,
		ServiceSecrets: a.secrets,
		Metrics:        a.registry,
		CalendarFetch:  a.calendarFetch,
		Identity: auth.NewTokenSource(a.peer("iam")+"/iam/token",
			auth.ServiceCredential{ClientID: m.name, Secret: a.secrets[m.name]}, a.httpClient, a.clock),
	})
	if err != nil {
		return nil, err
	}
	if kp, ok := part.(keyPublisher); ok {
		a.keys.set(kp.KeySource())
	}
	a.routes = append(a.routes, part.Routes()...)
	return part, nil
}

// peer is the base URL of a service: this process's own listener when it
// runs here, otherwise its OPENHOUSE_PEERS entry.
func (a *App) peer(service string) string {
	if slices.Contains(a.cfg.Services, service) {
		return localURL(a.listener.Addr().String())
	}
	return a.cfg.Peers[service]
}

// Routes is the authorization table of every route this process serves:
// each service's rows and the app's own. The access-matrix test reads it.
func (a *App) Routes() []auth.Route { return slices.Clone(a.routes) }

// Addr is the address the HTTP API listens on (useful with port 0).
func (a *App) Addr() string { return a.listener.Addr().String() }

// Run serves until ctx is cancelled, then shuts down gracefully: it stops
// taking requests and lets those in flight finish, stops consuming events
// and lets handlers in flight finish, publishes what the outboxes still
// hold, and closes the bus and databases. It returns nil after a clean
// shutdown.
func (a *App) Run(ctx context.Context) error {
	stopWatch, err := watchRevocations(ctx, a.bus, a.revocations, a.clock.Now())
	if err != nil {
		a.close()
		return err
	}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var workers sync.WaitGroup
	for _, r := range a.relays {
		workers.Add(1)
		go func() {
			defer workers.Done()
			_ = r.Run(workCtx)
		}()
	}
	for _, p := range a.parts {
		for _, sub := range p.Subscriptions() {
			if _, err := a.bus.Subscribe(ctx, sub); err != nil {
				stopWork()
				workers.Wait()
				a.close()
				return err
			}
		}
		if w, ok := p.(worker); ok {
			workers.Add(1)
			go func() {
				defer workers.Done()
				if err := w.Run(workCtx); err != nil && !errors.Is(err, context.Canceled) {
					a.log.Error("worker stopped", "err", err)
				}
			}()
		}
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- a.server.Serve(a.listener) }()
	go a.control.serve()
	a.log.Info("openhouse serving", "addr", a.Addr(), "services", a.cfg.Services,
		"database", dbKind(a.cfg), "nats", natsKind(a.cfg))

	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("http server: %w", err)
	}
	a.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if e := a.server.Shutdown(shutdownCtx); e != nil {
		a.log.Warn("http shutdown", "err", e)
	}
	a.control.close()
	a.backingUp.Lock() // a backup under way ends before the databases close
	defer a.backingUp.Unlock()
	a.bus.StopConsumers()
	stopWatch()
	stopWork()
	workers.Wait()
	for _, r := range a.relays {
		if _, e := r.Flush(shutdownCtx); e != nil {
			a.log.Warn("final outbox flush", "err", e)
		}
	}
	a.close()
	a.log.Info("stopped")
	return err
}

func (a *App) close() {
	a.control.close()
	if a.listener != nil {
		a.listener.Close() // already closed by Shutdown when serving; harmless
	}
	if a.bus != nil {
		a.bus.Close()
	}
	for _, db := range a.dbs {
		db.Close()
	}
	if a.stopTracing != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.stopTracing(ctx); err != nil {
			a.log.Warn("flush traces", "err", err)
		}
	}
}

func dbKind(c Config) string {
	if c.DatabaseURL == "" {
		return "sqlite"
	}
	return "postgres"
}

func natsKind(c Config) string {
	if c.NATSURL == "" {
		return "embedded"
	}
	return "external"
}

// Bus is the process's event bus; tests use it to watch events flow.
func (a *App) Bus() *bus.Bus { return a.bus }

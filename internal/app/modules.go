package app

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/egress"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// env is what the app hands a service's wiring function.
type env struct {
	Config Config
	DB     *store.DB // the service's own database, outbox tables migrated
	Bus    *bus.Bus
	Clock  clock.Clock
	Log    *slog.Logger
	// Auth verifies callers' tokens; routes use auth.Require with it in
	// front (the app's middleware has already authenticated the request).
	Auth *auth.Verifier
	// Peer returns the base URL of a service's HTTP API.
	Peer func(service string) string
	// HTTP is the client for calls to peers.
	HTTP *http.Client
	// Identity gets this service's own access token for calls to peers.
	Identity *auth.TokenSource
	// ServiceSecrets are the client secrets of every service identity;
	// only iam, which issues their tokens, needs them.
	ServiceSecrets map[string]string
	// Metrics is the process's registry: services register their domain
	// metrics on it (one registry per process, shared by every service).
	Metrics prometheus.Registerer
	// CalendarFetch is the base of the calendar import's egress rules:
	// zero but in tests (WithCalendarFetch).
	CalendarFetch egress.Config
}

// component is a built service as the app sees it.
type component interface {
	// Routes is the service's HTTP API as an authorization table; the app
	// mounts it with auth.Mount.
	Routes() []auth.Route
	// Subscriptions are the events the service consumes.
	Subscriptions() []bus.Subscription
}

// keyPublisher is the component (iam) whose keys verify every token.
type keyPublisher interface {
	KeySource() auth.KeySource
}

// worker is a component with background work (timers, sweeps); Run returns
// when ctx is cancelled.
type worker interface {
	Run(ctx context.Context) error
}

// module is one service this binary can run.
type module struct {
	name  string
	build func(ctx context.Context, e env) (component, error)
}

// modules lists the services in start order. Each build function lives in
// a file named after its service.
var modules = []module{
	{"iam", buildIAM},
	{"listing", buildListing},
	{"payment", buildPayment},
	{"cart", buildCart},
	{"tour", buildTour},
	{"appointment", buildAppointment},
	{"notification", buildNotification},
	{"availability", buildAvailability},
}

// ServiceNames lists the services this binary can run.
func ServiceNames() []string {
	names := make([]string, len(modules))
	for i, m := range modules {
		names[i] = m.name
	}
	return names
}

func moduleNamed(name string) (module, bool) {
	for _, m := range modules {
		if m.name == name {
			return m, true
		}
	}
	return module{}, false
}

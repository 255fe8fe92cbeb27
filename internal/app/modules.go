package app

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// env is what the app hands a service's wiring function.
type env struct {
	Config Config
	DB     *store.DB // the service's own database, outbox tables migrated
	Bus    *bus.Bus
	Clock  clock.Clock
	Log    *slog.Logger
}

// component is a built service as the app sees it.
type component interface {
	// Routes mounts the service's HTTP API.
	Routes(mux *http.ServeMux)
	// Subscriptions are the events the service consumes.
	Subscriptions() []bus.Subscription
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

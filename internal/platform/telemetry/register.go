// Package telemetry holds the observability mechanisms shared by every
// service: registering Prometheus collectors on the process's registry,
// the tracer provider and its exporter, and a slog handler that stamps
// records with their trace and span ids.
package telemetry

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Register registers c on reg and returns it, or returns the identical
// collector already registered there (several components of one process may
// share a metric, told apart by labels). A nil reg leaves c unregistered,
// so code can always record into it (tests without a registry). Any other
// registration failure (a clashing metric of another shape) is a
// programming error and panics, as prometheus.MustRegister does.
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	panic(fmt.Sprintf("telemetry: register collector: %v", err))
}

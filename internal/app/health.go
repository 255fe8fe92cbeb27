package app

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// healthRoutes are the probes and the metrics, open to anyone: orchestrators
// and Prometheus call them without tokens. They show no user's data; in a
// public deployment the gateway (or ingress) should not expose /metrics.
func healthRoutes(h *httpapi.Health, reg prometheus.Gatherer) []auth.Route {
	return []auth.Route{
		{Pattern: "GET /healthz", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(h.Healthz)},
		{Pattern: "GET /readyz", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(h.Readyz)},
		{Pattern: "GET /metrics", Rule: auth.Public(), Owner: auth.Unowned, Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})},
	}
}

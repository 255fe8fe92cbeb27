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
		{Pattern: "GET /healthz", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(h.Healthz),
			Doc: httpapi.Doc{Summary: "Liveness: the process serves HTTP", Reply: httpapi.Liveness{}}},
		{Pattern: "GET /readyz", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(h.Readyz),
			Doc: httpapi.Doc{Summary: "Readiness: the databases and NATS answer", Reply: httpapi.Readiness{},
				Answers: []httpapi.Answer{{Status: http.StatusServiceUnavailable, Why: "A dependency does not answer; checks say which.", Body: httpapi.Readiness{}}}}},
		{Pattern: "GET /metrics", Rule: auth.Public(), Owner: auth.Unowned, Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
			Doc: httpapi.Doc{Summary: "Prometheus metrics", ContentType: "text/plain, application/openmetrics-text",
				Description: "The Prometheus text exposition format (OpenMetrics when asked for). Meant for the monitoring system, not the public."}},
	}
}

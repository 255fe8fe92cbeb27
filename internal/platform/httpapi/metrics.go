package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// durationBuckets span 0.5 ms (a cached read) to 5 s (past that a request
// has already failed its user).
var durationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// Metrics records RED metrics for every request:
//
//	openhouse_http_requests_total{service,method,route,code}
//	openhouse_http_request_duration_seconds{service,method,route}
//
// route is the matched ServeMux pattern ("GET /tours/{id}"), never the raw
// path, and "unmatched" for requests no pattern matched; method is folded to
// "OTHER" for non-standard methods. Every label therefore has a bounded set
// of values, whatever clients send. A request whose handler panicked counts
// as a 500 wherever Recover sits.
//
// Several services in one process may call Metrics with the same registry:
// the collectors are registered once and shared, told apart by service. A
// registration failure other than that (a clashing metric of another shape)
// is a programming error and panics, as prometheus.MustRegister does.
func Metrics(reg prometheus.Registerer, service string) Middleware {
	if reg == nil {
		panic("httpapi.Metrics: nil prometheus.Registerer")
	}
	requests := registerShared(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "openhouse_http_requests_total",
		Help: "HTTP requests served, by service, method, route pattern and status code.",
	}, []string{"service", "method", "route", "code"}))
	duration := registerShared(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "openhouse_http_request_duration_seconds",
		Help:    "Time to serve HTTP requests, by service, method and route pattern.",
		Buckets: durationBuckets,
	}, []string{"service", "method", "route"}))

	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			r, route := withRouteHolder(r)
			rec := recordResponse(w)
			returned := false
			// Deferred, so a request aborted by a panic is still counted.
			defer func() {
				method, pattern := methodLabel(r.Method), route.route(r)
				requests.WithLabelValues(service, method, pattern, strconv.Itoa(rec.outcome(returned))).Inc()
				duration.WithLabelValues(service, method, pattern).Observe(time.Since(start).Seconds())
			}()
			next.ServeHTTP(rec, r)
			returned = true
		})
	}
}

// registerShared registers c, or returns the identical collector already
// registered under the same name.
func registerShared[C prometheus.Collector](reg prometheus.Registerer, c C) C {
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
	panic(fmt.Sprintf("httpapi.Metrics: register collector: %v", err))
}

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

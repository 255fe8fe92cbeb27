package tour

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/telemetry"
)

// scheduleBuckets span 50 ms (a free realtor on an idle system) to 1 day (a
// tour that waited for someone to free up).
var scheduleBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600}

// metrics are the tour service's domain measurements.
type metrics struct {
	timeToSchedule prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, st Store, c clock.Clock, log *slog.Logger) *metrics {
	m := &metrics{timeToSchedule: telemetry.Register(reg, prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "openhouse_tour_time_to_schedule_seconds",
		Help:    "Time from a tour's creation (payment accepted) to its first realtor assignment.",
		Buckets: scheduleBuckets,
	}))}
	if u, ok := st.(unassignedReader); ok && reg != nil {
		telemetry.Register(reg, &unassignedCollector{store: u, clock: c, log: log})
	}
	return m
}

// unassignedReader is a store that can count the tours waiting for a
// realtor (SQLStore); the gauges are exported only where it can.
type unassignedReader interface {
	// Unassigned returns how many tours wait for a realtor and the
	// creation time of the oldest (zero when none).
	Unassigned(ctx context.Context) (count int, oldest time.Time, err error)
}

var (
	unassignedDesc = prometheus.NewDesc("openhouse_tours_unassigned",
		"Tours waiting for a realtor (status unassigned).", nil, nil)
	unassignedAgeDesc = prometheus.NewDesc("openhouse_tours_unassigned_oldest_seconds",
		"Time since the oldest unassigned tour was created (0 when none).", nil, nil)
)

// unassignedCollector reads the waiting tours from the store on scrape.
type unassignedCollector struct {
	store unassignedReader
	clock clock.Clock
	log   *slog.Logger
}

func (c *unassignedCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- unassignedDesc
	ch <- unassignedAgeDesc
}

func (c *unassignedCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, oldest, err := c.store.Unassigned(ctx)
	if err != nil {
		c.log.Warn("unassigned tours for metrics", "err", err)
		return
	}
	age := 0.0
	if n > 0 && !oldest.IsZero() {
		age = max(c.clock.Now().Sub(oldest), 0).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(unassignedDesc, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(unassignedAgeDesc, prometheus.GaugeValue, age)
}

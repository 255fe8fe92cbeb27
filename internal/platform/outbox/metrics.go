package outbox

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/store"
)

var (
	backlogDesc = prometheus.NewDesc("openhouse_outbox_backlog",
		"Outbox rows waiting to be published, by service.", nil, nil)
	oldestDesc = prometheus.NewDesc("openhouse_outbox_oldest_pending_seconds",
		"Age of the oldest outbox row waiting to be published (0 when none), by service.", nil, nil)
)

// backlogCollector reads a database's outbox backlog on every scrape, so
// the gauges are true even when the relay is stuck (the case they exist
// to show). The service label comes from the wrapping registerer.
type backlogCollector struct {
	db    *store.DB
	clock clock.Clock
	log   *slog.Logger
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- backlogDesc
	ch <- oldestDesc
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	count, oldest, err := Backlog(ctx, c.db, c.clock.Now())
	if err != nil {
		c.log.Warn("outbox backlog for metrics", "db", c.db.Namespace, "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(count))
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, max(oldest, 0).Seconds())
}

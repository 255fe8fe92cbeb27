package bus

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openhouse/openhouse/internal/platform/telemetry"
)

// Outcomes of one delivery, the outcome label of
// openhouse_events_consumed_total.
const (
	OutcomeOK         = "ok"          // handled and acknowledged
	OutcomeRetry      = "retry"       // failed; delivered again after a backoff
	OutcomeDeadLetter = "dead_letter" // given up; copied to the dead-letter stream
)

// handlerBuckets span 0.5 ms (an inbox hit) to 25 s (the default handler
// timeout).
var handlerBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25}

// metrics are the bus's own measurements. Every Subscription gets them
// without its handlers doing anything; with no registerer in Config they
// are recorded but exported nowhere.
type metrics struct {
	consumed  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	published *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, b *Bus) *metrics {
	m := &metrics{
		consumed: telemetry.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openhouse_events_consumed_total",
			Help: "Event deliveries handled, by consuming service, event type and outcome (ok, retry, dead_letter).",
		}, []string{"consumer", "type", "outcome"})),
		duration: telemetry.Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "openhouse_event_handler_duration_seconds",
			Help:    "Time an event handler took for one delivery, by consuming service and event type.",
			Buckets: handlerBuckets,
		}, []string{"consumer", "type"})),
		published: telemetry.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openhouse_events_published_total",
			Help: "Events acknowledged by JetStream, by publishing service and event type.",
		}, []string{"service", "type"})),
	}
	if reg != nil {
		// One collector per registry reports the consumers of every Bus
		// registered on it.
		telemetry.Register(reg, &lagCollector{}).add(b)
	}
	return m
}

var pendingDesc = prometheus.NewDesc("openhouse_consumer_pending",
	"Events in the stream not yet delivered to the durable consumer (JetStream NumPending), by consuming service and stream.",
	[]string{"consumer", "stream"}, nil)

var ackPendingDesc = prometheus.NewDesc("openhouse_consumer_ack_pending",
	"Events delivered to the durable consumer and not yet acknowledged (JetStream NumAckPending), by consuming service and stream.",
	[]string{"consumer", "stream"}, nil)

// lagCollector reads each running consumer's info from JetStream on scrape.
type lagCollector struct {
	mu    sync.Mutex
	buses []*Bus
}

func (l *lagCollector) add(b *Bus) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buses = append(l.buses, b)
}

func (l *lagCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- pendingDesc
	ch <- ackPendingDesc
}

func (l *lagCollector) Collect(ch chan<- prometheus.Metric) {
	l.mu.Lock()
	buses := append([]*Bus(nil), l.buses...)
	l.mu.Unlock()
	var consumers []*Consumer
	for _, b := range buses {
		b.mu.Lock()
		consumers = append(consumers, b.consumers...)
		b.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	seen := map[[2]string]bool{}
	for _, c := range consumers {
		key := [2]string{c.sub.Consumer, c.sub.Stream}
		if seen[key] {
			continue // the same durable through two connections: one series
		}
		if c.main == nil {
			continue
		}
		info, err := c.main.Info(ctx)
		if err != nil {
			c.bus.log.Debug("consumer info for metrics", "consumer", c.sub.Consumer, "stream", c.sub.Stream, "err", err)
			continue
		}
		seen[key] = true
		ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(info.NumPending), c.sub.Consumer, c.sub.Stream)
		ch <- prometheus.MustNewConstMetric(ackPendingDesc, prometheus.GaugeValue, float64(info.NumAckPending), c.sub.Consumer, c.sub.Stream)
	}
}

package bench

import (
	"context"
	"fmt"
	"net/http"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Events are the events the system published and handled while the load
// ran and its sagas settled, summed over the /metrics of every process the
// bench was given (--embedded: the serve process; --cluster: every service
// instance): the traffic through the bus, which in the distributed mode is
// what the three fsyncing JetStream replicas carry.
type Events struct {
	// Published counts events JetStream acknowledged
	// (openhouse_events_published_total); Handled counts deliveries a
	// consumer handled successfully (openhouse_events_consumed_total,
	// outcome ok).
	Published int64 `json:"published"`
	Handled   int64 `json:"handled"`
	// PublishedPerSecond and HandledPerSecond are over the same window as
	// the CPU time: the load and the sagas' settling.
	PublishedPerSecond float64 `json:"published_per_second"`
	HandledPerSecond   float64 `json:"handled_per_second"`
	// PerBooking is Published per checkout answered 201.
	PerBooking float64 `json:"published_per_booking"`
}

// eventCounts reads the running totals of events published and handled
// from the /metrics of each url.
func eventCounts(ctx context.Context, client *http.Client, urls []string) (published, handled float64, err error) {
	for _, u := range urls {
		p, h, err := scrapeEvents(ctx, client, u)
		if err != nil {
			return 0, 0, err
		}
		published += p
		handled += h
	}
	return published, handled, nil
}

func scrapeEvents(ctx context.Context, client *http.Client, url string) (published, handled float64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("metrics: %s answered %d", url, resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, 0, fmt.Errorf("metrics of %s: %w", url, err)
	}
	published = sumCounter(families["openhouse_events_published_total"], nil)
	handled = sumCounter(families["openhouse_events_consumed_total"], func(labels []*dto.LabelPair) bool {
		for _, l := range labels {
			if l.GetName() == "outcome" {
				return l.GetValue() == "ok"
			}
		}
		return false
	})
	return published, handled, nil
}

// sumCounter adds up the counters of a family whose labels keep accepts
// (every one when keep is nil).
func sumCounter(f *dto.MetricFamily, keep func([]*dto.LabelPair) bool) float64 {
	var sum float64
	for _, m := range f.GetMetric() {
		if keep == nil || keep(m.GetLabel()) {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

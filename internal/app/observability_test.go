package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/events"
)

// startAppWith is startApp with a logger (nil discards) and options (a
// tracer provider, say).
func startAppWith(t *testing.T, cfg app.Config, log *slog.Logger, opts ...app.Option) (*app.App, client) {
	t.Helper()
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	a, err := app.New(context.Background(), cfg, log, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	return a, newClient(t, "http://"+a.Addr())
}

// bookOnce drives one booking through every service on a fresh app: a
// listing, a realtor near it, a paid checkout; it returns once the tour is
// scheduled and customer and realtor have been told.
func bookOnce(t *testing.T, cfg app.Config, log *slog.Logger, opts ...app.Option) (client, *world) {
	t.Helper()
	cfg.AdminEmail, cfg.AdminPassword = "root-"+fmt.Sprint(time.Now().UnixNano())+"@example.com", "the admin passphrase"
	_, c := startAppWith(t, cfg, log, opts...)
	w := newWorld(t, c, cfg.AdminEmail, cfg.AdminPassword)
	home := w.listing("Loop loft", 41.8781, -87.6298)
	realtorToken, _ := w.realtor(41.88, -87.63)
	w.checkout(w.customer, []string{home}, tomorrowLocal(10), "observed-"+w.suffix)
	eventually(t, "the tour to be scheduled", 15*time.Second, func() bool {
		ts := w.tours(w.customer)
		return len(ts) == 1 && ts[0]["status"] == "scheduled"
	})
	for _, token := range []string{w.customer, realtorToken} {
		eventually(t, "the scheduled notification", 15*time.Second, func() bool {
			_, inbox := c.call("GET", "/notifications", token, nil)
			for _, n := range inbox["items"].([]any) {
				if n.(map[string]any)["kind"] == "tour_scheduled" {
					return true
				}
			}
			return false
		})
	}
	return c, w
}

// families is one scrape of /metrics.
type families map[string]*dto.MetricFamily

func scrape(t *testing.T, c client) families {
	t.Helper()
	resp, err := c.http.Get(c.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value sums the samples of name whose labels include want: counters,
// gauges, and a histogram's sample count. ok says whether any matched.
func (f families) value(name string, want map[string]string) (sum float64, ok bool) {
	fam := f[name]
	if fam == nil {
		return 0, false
	}
next:
	for _, m := range fam.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		ok = true
		switch fam.GetType() {
		case dto.MetricType_COUNTER:
			sum += m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			sum += m.GetGauge().GetValue()
		case dto.MetricType_HISTOGRAM:
			sum += float64(m.GetHistogram().GetSampleCount())
		default:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum, ok
}

// TestMetricsAfterBooking (must show 2): after one booking end to end,
// /metrics exposes every family of docs/observability.md with values that
// tell the story of that booking.
func TestMetricsAfterBooking(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c, _ := bookOnce(t, cfg, nil)
			var fams families
			type check struct {
				name   string
				labels map[string]string
				ok     func(v float64) bool
				want   string
			}
			positive := func(v float64) bool { return v > 0 }
			exactly := func(n float64) func(float64) bool { return func(v float64) bool { return v == n } }
			checks := []check{
				{"openhouse_http_requests_total", map[string]string{"service": "openhouse", "route": "POST /cart/checkout", "code": "201"}, exactly(1), "1"},
				{"openhouse_http_request_duration_seconds", map[string]string{"route": "POST /cart/checkout"}, exactly(1), "1"},
				{"openhouse_events_published_total", map[string]string{"service": "payment", "type": events.TypePaymentSucceeded}, exactly(1), "1"},
				{"openhouse_events_published_total", map[string]string{"service": "appointment", "type": events.TypeAppointmentScheduled}, exactly(1), "1"},
				{"openhouse_events_consumed_total", map[string]string{"consumer": "tour", "type": events.TypePaymentSucceeded, "outcome": "ok"}, exactly(1), "1"},
				{"openhouse_events_consumed_total", map[string]string{"consumer": "tour", "outcome": "ok"}, positive, "> 0"},
				{"openhouse_events_consumed_total", map[string]string{"outcome": "dead_letter"}, exactly(0), "0 (or absent)"},
				{"openhouse_event_handler_duration_seconds", map[string]string{"consumer": "appointment", "type": events.TypeTourCreated}, exactly(1), "1"},
				{"openhouse_outbox_backlog", map[string]string{"service": "tour"}, func(v float64) bool { return v >= 0 }, ">= 0"},
				{"openhouse_outbox_oldest_pending_seconds", map[string]string{"service": "payment"}, func(v float64) bool { return v >= 0 && v < 60 }, "0 to 60"},
				{"openhouse_consumer_pending", map[string]string{"consumer": "tour", "stream": "payment"}, exactly(0), "0"},
				{"openhouse_assignments_total", map[string]string{"outcome": "scheduled"}, exactly(1), "1"},
				{"openhouse_assignments_total", map[string]string{"outcome": "unassigned"}, exactly(0), "0"},
				{"openhouse_tour_time_to_schedule_seconds", nil, exactly(1), "1 observation"},
				{"openhouse_tours_unassigned", nil, exactly(0), "0"},
				{"openhouse_tours_unassigned_oldest_seconds", nil, exactly(0), "0"},
				{"openhouse_notifications_delivered_total", map[string]string{"channel": "inbox", "outcome": "delivered"}, func(v float64) bool { return v >= 2 }, ">= 2 (customer and realtor)"},
			}
			// The relays and consumers settle shortly after the last
			// notification; wait for the whole picture, then report.
			var bad []string
			deadline := time.Now().Add(10 * time.Second)
			for {
				fams, bad = scrape(t, c), nil
				for _, ch := range checks {
					v, found := fams.value(ch.name, ch.labels)
					absentOK := ch.want == "0 (or absent)"
					if (!found && !absentOK) || !ch.ok(v) {
						bad = append(bad, fmt.Sprintf("%s%v = %v (found %v), want %s", ch.name, ch.labels, v, found, ch.want))
					}
				}
				if len(bad) == 0 || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond) // polling a condition with a deadline
			}
			if len(bad) > 0 {
				t.Fatalf("after one booking:\n%s", strings.Join(bad, "\n"))
			}
			// Every consumer of the saga reports its lag, every service its outbox.
			for _, sub := range [][2]string{{"tour", "payment"}, {"appointment", "tour"}, {"tour", "appointment"}, {"notification", "tour"}, {"iam", "payment"}} {
				if _, ok := fams.value("openhouse_consumer_pending", map[string]string{"consumer": sub[0], "stream": sub[1]}); !ok {
					t.Errorf("no openhouse_consumer_pending for consumer %s on stream %s", sub[0], sub[1])
				}
			}
			for _, svc := range app.ServiceNames() {
				if _, ok := fams.value("openhouse_outbox_backlog", map[string]string{"service": svc}); !ok {
					t.Errorf("no openhouse_outbox_backlog for %s", svc)
				}
			}
			// The dashboard and the alerts read only metrics that exist.
			t.Run("deploy files name exported metrics", func(t *testing.T) { checkDeployFiles(t, fams) })
		})
	}
}

package notification

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/openhouse/openhouse/internal/platform/telemetry"
)

// Delivery outcomes, the outcome label of
// openhouse_notifications_delivered_total.
const (
	outcomeDelivered = "delivered" // reached the inbox, the mail server or the webhook
	outcomeRetry     = "retry"     // an attempt failed; tried again later
	outcomeFailed    = "failed"    // given up after the last attempt
	outcomeDropped   = "dropped"   // nowhere to deliver (no address, channel off)
)

// metrics are the notification service's delivery measurements.
type metrics struct {
	delivered *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{delivered: telemetry.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "openhouse_notifications_delivered_total",
		Help: "Notification delivery attempts, by channel (inbox, email, webhook) and outcome (delivered, retry, failed, dropped).",
	}, []string{"channel", "outcome"}))}
	m.delivered.WithLabelValues(string(channelInbox), outcomeDelivered)
	return m
}

// inboxed counts notifications committed to inboxes (delivered at once).
func (m *metrics) inboxed(ns []notification) {
	for _, n := range ns {
		m.delivered.WithLabelValues(string(n.Channel), outcomeDelivered).Inc()
	}
}

// attempted counts one email or webhook attempt by its recorded outcome.
func (m *metrics) attempted(via channel, state deliveryState) {
	outcome := outcomeRetry
	switch state {
	case deliveryDelivered:
		outcome = outcomeDelivered
	case deliveryFailed:
		outcome = outcomeFailed
	case deliveryDropped:
		outcome = outcomeDropped
	}
	m.delivered.WithLabelValues(string(via), outcome).Inc()
}

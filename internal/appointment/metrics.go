package appointment

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/openhouse/openhouse/internal/platform/telemetry"
)

// Assignment outcomes, the outcome label of openhouse_assignments_total.
const (
	outcomeScheduled   = "scheduled"                // a realtor was booked for the tour
	outcomeUnassigned  = "unassigned"               // nobody free: the tour waits
	outcomePrevented   = "double_booking_prevented" // a hold or booking was refused because the realtor was taken
	assignmentsMetric  = "openhouse_assignments_total"
	assignmentsHelpTxt = "Realtor assignment outcomes: scheduled, unassigned (the tour waits), double_booking_prevented (a candidate was taken meanwhile and refused)."
)

// metrics are the appointment service's domain measurements.
type metrics struct {
	assignments *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{assignments: telemetry.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: assignmentsMetric, Help: assignmentsHelpTxt,
	}, []string{"outcome"}))}
	// Every outcome is exported from the start, so rates and alerts see 0
	// rather than nothing.
	for _, o := range []string{outcomeScheduled, outcomeUnassigned, outcomePrevented} {
		m.assignments.WithLabelValues(o)
	}
	return m
}

func (m *metrics) assigned(outcome string) { m.assignments.WithLabelValues(outcome).Inc() }

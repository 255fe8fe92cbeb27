package appointment

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/openhouse/openhouse/internal/platform/telemetry"
)

// Outcomes: the outcome label of openhouse_assignments_total (bookings)
// and openhouse_holds_total (holds at checkout and reschedule).
const (
	outcomeScheduled  = "scheduled"                // a realtor was booked for the tour
	outcomeUnassigned = "unassigned"               // nobody free: the tour waits
	outcomePrevented  = "double_booking_prevented" // a hold or booking was refused because the realtor was taken
	outcomeHeld       = "held"                     // a realtor was held
	outcomeNoRealtor  = "no_realtor"               // nobody could be held: the slot was taken
	outcomeExpired    = "expired"                  // a hold lapsed unbooked
)

// metrics are the appointment service's domain measurements.
type metrics struct {
	assignments *prometheus.CounterVec
	holds       *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		assignments: telemetry.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openhouse_assignments_total",
			Help: "Realtor assignment outcomes: scheduled, unassigned (the tour waits), double_booking_prevented (a candidate was taken meanwhile and refused).",
		}, []string{"outcome"})),
		holds: telemetry.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openhouse_holds_total",
			Help: "Realtor hold outcomes: held, no_realtor (the slot was taken), double_booking_prevented (a candidate was taken meanwhile), expired (lapsed unbooked).",
		}, []string{"outcome"})),
	}
	// Every outcome is exported from the start, so rates and alerts see 0
	// rather than nothing.
	for _, o := range []string{outcomeScheduled, outcomeUnassigned, outcomePrevented} {
		m.assignments.WithLabelValues(o)
	}
	for _, o := range []string{outcomeHeld, outcomeNoRealtor, outcomePrevented, outcomeExpired} {
		m.holds.WithLabelValues(o)
	}
	return m
}

func (m *metrics) assigned(outcome string) { m.assignments.WithLabelValues(outcome).Inc() }

func (m *metrics) held(outcome string) { m.holds.WithLabelValues(outcome).Inc() }

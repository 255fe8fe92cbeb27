package app

import (
	"context"

	"github.com/openhouse/openhouse/internal/appointment"
	"github.com/openhouse/openhouse/internal/clients"
)

// buildAppointment wires the appointment service: it finds and holds
// realtors through the availability API, as its own identity.
func buildAppointment(ctx context.Context, e env) (component, error) {
	st, err := appointment.NewSQLStore(ctx, e.DB, e.Clock.Now)
	if err != nil {
		return nil, err
	}
	avail := clients.NewAvailability(e.Peer("availability"), e.HTTP, e.Identity, clients.Options{})
	return appointment.New(st, avail, appointment.Config{HoldTTL: e.Config.HoldTTL, Clock: e.Clock, Log: e.Log, Metrics: e.Metrics})
}

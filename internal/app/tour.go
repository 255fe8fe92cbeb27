package app

import (
	"context"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/tour"
)

// buildTour wires the tour service: it refunds cancellations through the
// payment API, holds realtors for a tour's new time through the
// appointment API, finds open times through availability's and reads
// homes' showing rules, and their access for the assigned realtor, from
// listing's, as its own identity.
func buildTour(ctx context.Context, e env) (component, error) {
	st, err := tour.NewSQLStore(ctx, e.DB, e.Clock.Now)
	if err != nil {
		return nil, err
	}
	rules := tour.DefaultRules
	rules.Plan = e.Config.tourRules()
	if e.Config.ApprovalWait != 0 {
		rules.ApprovalWait = e.Config.ApprovalWait
	}
	if e.Config.ApprovalLead != 0 {
		rules.ApprovalLead = e.Config.ApprovalLead
	}
	listings := clients.NewListings(e.Peer("listing"), e.HTTP, e.Identity, clients.Options{})
	return tour.New(st, tour.Peers{
		Payments: clients.NewPayments(e.Peer("payment"), e.HTTP, e.Identity, clients.Options{}),
		Holds:    clients.NewHolds(e.Peer("appointment"), e.HTTP, e.Identity, clients.Options{}),
		Slots:    clients.NewAvailability(e.Peer("availability"), e.HTTP, e.Identity, clients.Options{}),
		Access:   listings,
		Listings: listings,
	}, tour.Config{Rules: rules, Clock: e.Clock, Log: e.Log, Metrics: e.Metrics, AccessLead: e.Config.AccessLead})
}

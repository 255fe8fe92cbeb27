package tour

import (
	"time"

	"github.com/openhouse/openhouse/internal/events"
)

// orderState is where a cart order is on its way to a tour.
type orderState string

// Order states.
const (
	orderOpen   orderState = "open"   // placed or paid, not both yet
	orderToured orderState = "toured" // its tour was made
	orderFailed orderState = "failed" // its payment failed: no tour
)

// order is a cart order as the tour service learns it, from the cart's
// order event and payment's, whichever comes first.
type order struct {
	ID        string
	Placed    *events.OrderPlaced
	PaymentID string
	Paid      events.Money
	State     orderState
	UpdatedAt time.Time
}

// Place records what the cart ordered.
func (o *order) Place(e events.OrderPlaced, now time.Time) {
	o.Placed = &e
	o.touch(now)
}

// Pay records its successful payment.
func (o *order) Pay(paymentID string, amount events.Money, now time.Time) {
	o.PaymentID, o.Paid = paymentID, amount
	o.touch(now)
}

// Fail records that its payment failed: it never becomes a tour.
func (o *order) Fail(now time.Time) {
	if o.State == orderOpen || o.State == "" {
		o.State = orderFailed
	}
	o.UpdatedAt = now.UTC()
}

func (o *order) touch(now time.Time) {
	if o.State == "" {
		o.State = orderOpen
	}
	o.UpdatedAt = now.UTC()
}

// Ready reports whether the order is placed and paid and has no tour yet.
func (o order) Ready() bool { return o.State == orderOpen && o.Placed != nil && o.PaymentID != "" }

// approvalOf is what a home of the order needs from its provider: approval
// when its showing mode (as the cart saw the listing) is confirm.
func approvalOf(s events.OrderStop) approval {
	if s.Showing.Mode == events.ShowingConfirm {
		return approvalPending
	}
	return approvalNone
}

// Tour makes the order's tour, pending its realtor: it takes the order's
// id, its homes in the route the cart planned, and what was paid. The
// order is toured from then on.
func (o *order) Tour(now time.Time) tour {
	p := o.Placed
	t := tour{ID: o.ID, CustomerID: p.CustomerID, PaymentID: o.PaymentID, OrderID: o.ID, Paid: o.Paid,
		TimeZone: p.TimeZone, ScheduledAt: p.ScheduledAt.UTC(), EndsAt: p.EndsAt.UTC(), Status: statusPending, Version: 1,
		CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	for _, s := range p.Stops {
		t.Stops = append(t.Stops, stop{ListingID: s.ListingID, ProviderID: s.ProviderID, Title: s.Title,
			Location: s.Location, Arrive: s.Arrive.UTC(), Leave: s.Leave.UTC(), Fee: s.TourFee, Approval: approvalOf(s)})
	}
	o.State, o.UpdatedAt = orderToured, now.UTC()
	return t
}

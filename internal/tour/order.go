package tour

import (
	"time"

	"github.com/openhouse/openhouse/internal/events"
)

// OrderState is where a cart order is on its way to a tour.
type OrderState string

// Order states.
const (
	OrderOpen   OrderState = "open"   // placed or paid, not both yet
	OrderToured OrderState = "toured" // its tour was made
	OrderFailed OrderState = "failed" // its payment failed: no tour
)

// Order is a cart order as the tour service learns it, from the cart's
// order event and payment's, whichever comes first.
type Order struct {
	ID        string
	Placed    *events.OrderPlaced
	PaymentID string
	Paid      events.Money
	State     OrderState
	UpdatedAt time.Time
}

// Place records what the cart ordered.
func (o *Order) Place(e events.OrderPlaced, now time.Time) {
	o.Placed = &e
	o.touch(now)
}

// Pay records its successful payment.
func (o *Order) Pay(paymentID string, amount events.Money, now time.Time) {
	o.PaymentID, o.Paid = paymentID, amount
	o.touch(now)
}

// Fail records that its payment failed: it never becomes a tour.
func (o *Order) Fail(now time.Time) {
	if o.State == OrderOpen || o.State == "" {
		o.State = OrderFailed
	}
	o.UpdatedAt = now.UTC()
}

func (o *Order) touch(now time.Time) {
	if o.State == "" {
		o.State = OrderOpen
	}
	o.UpdatedAt = now.UTC()
}

// Ready reports whether the order is placed and paid and has no tour yet.
func (o Order) Ready() bool { return o.State == OrderOpen && o.Placed != nil && o.PaymentID != "" }

// approvalOf is what a home of the order needs from its provider: approval
// when its showing mode (as the cart saw the listing) is confirm.
func approvalOf(s events.OrderStop) Approval {
	if s.Showing.Mode == events.ShowingConfirm {
		return ApprovalPending
	}
	return ApprovalNone
}

// Tour makes the order's tour, pending its realtor: it takes the order's
// id, its homes in the route the cart planned, and what was paid. The
// order is toured from then on.
func (o *Order) Tour(now time.Time) Tour {
	p := o.Placed
	t := Tour{ID: o.ID, CustomerID: p.CustomerID, PaymentID: o.PaymentID, OrderID: o.ID, Paid: o.Paid,
		TimeZone: p.TimeZone, ScheduledAt: p.ScheduledAt.UTC(), EndsAt: p.EndsAt.UTC(), Status: Pending, Version: 1,
		CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	for _, s := range p.Stops {
		t.Stops = append(t.Stops, Stop{ListingID: s.ListingID, ProviderID: s.ProviderID, Title: s.Title,
			Location: s.Location, Arrive: s.Arrive.UTC(), Leave: s.Leave.UTC(), Fee: s.TourFee, Approval: approvalOf(s)})
	}
	o.State, o.UpdatedAt = OrderToured, now.UTC()
	return t
}

package events

import "time"

// Event types published by the cart service. The subject of each is the
// order id.
const (
	TypeOrderPlaced = "openhouse.cart.order.placed.v1"
)

// OrderStop is one home of an order, in route order: the listing as the
// cart showed it (a snapshot, so the tour needs no call back) and the
// planned times of the visit.
type OrderStop struct {
	ListingID  string         `json:"listing_id"`
	ProviderID string         `json:"provider_id"`
	Title      string         `json:"title"`
	Address    ListingAddress `json:"address"`
	Location   GeoPoint       `json:"location"`
	TourFee    Money          `json:"tour_fee"`
	// Showing are the home's showing rules when the order was placed
	// (Mode says whether its provider must approve the tour).
	Showing Showing   `json:"showing"`
	Arrive  time.Time `json:"arrive"`
	Leave   time.Time `json:"leave"`
}

// OrderPlaced says a customer checked out a cart: the homes, the start the
// customer chose and the route planned from it, and the hold on a realtor
// the appointment service placed for that start. It is published before
// the card is charged; the order becomes a tour only once
// openhouse.payment.payment.succeeded.v1 names it (whichever of the two
// arrives first). The tour takes the order's id, and HoldID is the hold
// the booking is made from. Consumers: tour.
type OrderPlaced struct {
	OrderID       string      `json:"order_id"`
	CustomerID    string      `json:"customer_id"`
	Stops         []OrderStop `json:"stops"`
	TimeZone      string      `json:"time_zone"`
	ScheduledAt   time.Time   `json:"scheduled_at"`
	EndsAt        time.Time   `json:"ends_at"`
	Total         Money       `json:"total"`
	HoldID        string      `json:"hold_id"`
	HoldExpiresAt time.Time   `json:"hold_expires_at"`
	PlacedAt      time.Time   `json:"placed_at"`
}

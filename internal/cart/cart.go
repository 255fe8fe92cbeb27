// Package cart owns customers' carts and checkout: the homes a customer
// wants to tour together, and the step that pays for the tour. This file is
// the domain: types and rules, no I/O.
package cart

import (
	"errors"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/fault"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// Item is a listing in a cart, with the details the cart showed when it was
// added (refreshed when the listing changes): what an order carries of it.
type Item struct {
	ListingID  string
	ProviderID string
	Title      string
	Address    events.ListingAddress
	TourFee    events.Money
	Location   events.GeoPoint
	TimeZone   string
	// Showing are the home's showing rules: slots and checkout keep
	// them, and the order carries them to the tour.
	Showing events.Showing
	AddedAt time.Time
}

// Cart is one customer's cart.
type Cart struct {
	CustomerID string
	Items      []Item
	UpdatedAt  time.Time
}

// What homes can be toured together. They are the documented rule of
// docs/architecture.md ("Checkout rules"); when a tour may start is
// tourplan's.
const (
	// MaxItems is the most homes one tour visits.
	MaxItems = 5
	// MaxSpreadKM is the largest distance between any two homes of one tour.
	MaxSpreadKM = 30.0
)

// Domain errors, answered to clients by their kind.
var (
	ErrNotInCart = fault.NotFound("listing is not in the cart").WithDetail("that listing is not in your cart")
	ErrEmpty     = fault.Invalid("the cart is empty", fault.FieldError{Field: "items", Message: "the cart is empty"})
	// errPeersUnavailable: a service the cart needs did not answer
	// (clients.ErrUnavailable); the client may retry.
	errPeersUnavailable = fault.Unavailable("a service the cart needs is unavailable").
				WithDetail("a service the cart needs is unavailable; try again shortly")
)

// peerFailure is err, told to clients as errPeersUnavailable when a peer
// did not answer.
func peerFailure(err error) error { return clients.WhenUnavailable(err, errPeersUnavailable) }

// RuleError is a request that breaks a rule, naming the field.
type RuleError struct{ Field, Message string }

func (e RuleError) Error() string { return e.Field + ": " + e.Message }

// Answer names the field.
func (e RuleError) Answer() fault.Answer {
	return fault.Answer{Kind: fault.KindInvalid, Fields: []fault.FieldError{{Field: e.Field, Message: e.Message}}}
}

// ShowingError is a tour that breaks a home's showing rules.
type ShowingError = tourplan.ShowingError

// Total is the sum of the tour fees.
func (c Cart) Total() (events.Money, error) {
	if len(c.Items) == 0 {
		return events.Money{Amount: 0, Currency: "USD"}, nil
	}
	total := events.Money{Currency: c.Items[0].TourFee.Currency}
	for _, it := range c.Items {
		var err error
		if total, err = total.Add(it.TourFee); err != nil {
			return events.Money{}, RuleError{"listing_id", "all homes of one tour must be priced in one currency"}
		}
	}
	return total, nil
}

// CanAdd checks that it can join the cart's tour.
func (c Cart) CanAdd(it Item) error {
	for _, existing := range c.Items {
		if existing.ListingID == it.ListingID {
			return nil // adding twice is a no-op
		}
	}
	if len(c.Items) >= MaxItems {
		return RuleError{"listing_id", fmt.Sprintf("a tour visits at most %d homes", MaxItems)}
	}
	return tourable(append(append([]Item(nil), c.Items...), it))
}

// tourable checks that homes can be toured together: one time zone, one
// currency, every two within MaxSpreadKM.
func tourable(items []Item) error {
	for i, a := range items {
		for _, b := range items[i+1:] {
			if a.TimeZone != b.TimeZone {
				return RuleError{"listing_id", "homes of one tour must be in one time zone"}
			}
			if a.TourFee.Currency != b.TourFee.Currency {
				return RuleError{"listing_id", "homes of one tour must be priced in one currency"}
			}
			if d := tourplan.DistanceKM(a.Location, b.Location); d > MaxSpreadKM {
				return RuleError{"listing_id", fmt.Sprintf("homes %s and %s are %.0f km apart; one tour covers at most %.0f km", a.ListingID, b.ListingID, d, MaxSpreadKM)}
			}
		}
	}
	return nil
}

// Homes are the cart's homes as a tour plans them, in the order added.
func (c Cart) Homes() []tourplan.Home {
	out := make([]tourplan.Home, len(c.Items))
	for i, it := range c.Items {
		out[i] = tourplan.Home{ListingID: it.ListingID, Location: it.Location,
			Visit: time.Duration(it.Showing.VisitMinutes) * time.Minute}
	}
	return out
}

// Zone is the homes' time zone.
func (c Cart) Zone() (*time.Location, error) {
	if len(c.Items) == 0 {
		return nil, ErrEmpty
	}
	loc, err := time.LoadLocation(c.Items[0].TimeZone)
	if err != nil || c.Items[0].TimeZone == "" || c.Items[0].TimeZone == "Local" {
		return nil, RuleError{"scheduled_at", "the homes' time zone is unknown"}
	}
	return loc, nil
}

// Route plans the cart's tour from start: the homes in the shortest order
// from the first one added, each stop timed.
func (c Cart) Route(start time.Time, rules tourplan.Rules) tourplan.Route {
	return tourplan.Plan(c.Homes(), start, rules)
}

// CheckTime checks a requested tour start against the rules: the homes can
// be toured together, the tour planned from start keeps the rules' lead
// and lies within the homes' day, and each visit keeps its home's showing
// rules (a ShowingError naming the first broken).
func (c Cart) CheckTime(start, now time.Time, rules tourplan.Rules) error {
	if len(c.Items) == 0 {
		return ErrEmpty
	}
	if err := tourable(c.Items); err != nil {
		return err
	}
	loc, err := c.Zone()
	if err != nil {
		return err
	}
	if err := rules.CheckStart(start, c.Route(start, rules).Length(), loc, now); err != nil {
		var rule tourplan.RuleError
		if errors.As(err, &rule) {
			return RuleError{rule.Field, rule.Message}
		}
		return err
	}
	return c.CheckShowing(c.Route(start, rules), loc, now)
}

// CheckShowing checks each visit of route against its home's showing
// rules (all but the most per day, which holds count).
func (c Cart) CheckShowing(route tourplan.Route, loc *time.Location, now time.Time) error {
	for _, st := range route.Stops {
		it, ok := c.item(st.ListingID)
		if !ok {
			continue
		}
		if rule := tourplan.VisitBreaks(it.Showing, st.Arrive, st.Leave, loc, now); rule != "" {
			return ShowingError{Rule: rule, ListingID: it.ListingID, Message: tourplan.RuleMessage(rule, it.Showing)}
		}
	}
	return nil
}

// Showable reports whether every visit of route keeps its home's showing
// rules: the filter of open slots.
func (c Cart) Showable(route tourplan.Route, loc *time.Location, now time.Time) bool {
	return c.CheckShowing(route, loc, now) == nil
}

// FullOn reports whether a home of route already has its most showings on
// the local day of its visit, by counts.
func (c Cart) FullOn(route tourplan.Route, counts tourplan.DayCounts, loc *time.Location) bool {
	for _, st := range route.Stops {
		if it, ok := c.item(st.ListingID); ok && counts.Full(it.ListingID, it.Showing, st.Arrive, loc) {
			return true
		}
	}
	return false
}

// DayLimits are the most showings a day of the route's homes that have
// one, over each home's local day of its visit: the appointment service
// counts them as it holds a realtor.
func (c Cart) DayLimits(route tourplan.Route) ([]clients.DayLimit, error) {
	loc, err := c.Zone()
	if err != nil {
		return nil, err
	}
	var out []clients.DayLimit
	for _, st := range route.Stops {
		it, ok := c.item(st.ListingID)
		if !ok || it.Showing.MaxPerDay <= 0 {
			continue
		}
		y, m, d := st.Arrive.In(loc).Date()
		out = append(out, clients.DayLimit{ListingID: it.ListingID, Max: it.Showing.MaxPerDay,
			From: time.Date(y, m, d, 0, 0, 0, 0, loc).UTC(), To: time.Date(y, m, d+1, 0, 0, 0, 0, loc).UTC()})
	}
	return out, nil
}

// Shown reports whether every home is shown at all (none is in mode
// none).
func (c Cart) Shown() bool {
	for _, it := range c.Items {
		if it.Showing.ModeOrAuto() == events.ShowingNone {
			return false
		}
	}
	return true
}

// NotShownMessage is the message of a home in mode none, or "" when
// every home is shown.
func (c Cart) NotShownMessage() string {
	for _, it := range c.Items {
		if it.Showing.ModeOrAuto() == events.ShowingNone {
			if it.Showing.Message != "" {
				return it.Showing.Message
			}
			return "This home is not being shown now."
		}
	}
	return ""
}

func (c Cart) item(listingID string) (Item, bool) {
	for _, it := range c.Items {
		if it.ListingID == listingID {
			return it, true
		}
	}
	return Item{}, false
}

// Package cart owns customers' carts and checkout: the homes a customer
// wants to tour together, and the step that pays for the tour. This file is
// the domain: types and rules, no I/O.
package cart

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/geo"
)

// Item is a listing in a cart, with the details the cart showed when it was
// added (refreshed when the listing changes).
type Item struct {
	ListingID string
	Title     string
	TourFee   events.Money
	Location  events.GeoPoint
	TimeZone  string
	AddedAt   time.Time
}

// Cart is one customer's cart.
type Cart struct {
	CustomerID string
	Items      []Item
	UpdatedAt  time.Time
}

// Tour rules: what homes can be toured together, and when. They are the
// documented rule of docs/architecture.md ("Checkout rules").
const (
	// MaxItems is the most homes one tour visits.
	MaxItems = 5
	// MaxSpreadKM is the largest distance between any two homes of one tour.
	MaxSpreadKM = 30.0
	// VisitLength is the time planned at each home.
	VisitLength = 30 * time.Minute
	// DrivingSpeedKMH turns the distance between homes into driving time.
	DrivingSpeedKMH = 40.0
	// DayStart and DayEnd bound tours in the homes' local time.
	DayStart = 8 * time.Hour
	DayEnd   = 20 * time.Hour
	// MinLead is how far ahead a tour must be booked.
	MinLead = time.Hour
	// MaxLead is how far ahead a tour may be booked.
	MaxLead = 90 * 24 * time.Hour
)

// Domain errors.
var (
	ErrNotInCart = errors.New("listing is not in the cart")
	ErrEmpty     = errors.New("the cart is empty")
)

// RuleError is a request that breaks a rule, naming the field.
type RuleError struct{ Field, Message string }

func (e RuleError) Error() string { return e.Field + ": " + e.Message }

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
			if d := DistanceKM(a.Location, b.Location); d > MaxSpreadKM {
				return RuleError{"listing_id", fmt.Sprintf("homes %s and %s are %.0f km apart; one tour covers at most %.0f km", a.ListingID, b.ListingID, d, MaxSpreadKM)}
			}
		}
	}
	return nil
}

// EstimatedLength is how long touring the cart takes: each visit plus
// driving between homes in the order given (the tour service orders them
// into a shorter route, so this is an upper bound).
func (c Cart) EstimatedLength() time.Duration {
	d := time.Duration(len(c.Items)) * VisitLength
	for i := 1; i < len(c.Items); i++ {
		km := DistanceKM(c.Items[i-1].Location, c.Items[i].Location)
		d += time.Duration(km / DrivingSpeedKMH * float64(time.Hour))
	}
	return d
}

// CheckTime checks a requested tour start against the rules: in the future
// by at least MinLead, within MaxLead, and the whole tour inside DayStart
// to DayEnd in the homes' time zone.
func (c Cart) CheckTime(start, now time.Time) error {
	if len(c.Items) == 0 {
		return ErrEmpty
	}
	if !start.After(now.Add(MinLead)) {
		return RuleError{"scheduled_at", "must be at least an hour from now"}
	}
	if start.After(now.Add(MaxLead)) {
		return RuleError{"scheduled_at", "must be within 90 days"}
	}
	if err := tourable(c.Items); err != nil {
		return err
	}
	loc, err := time.LoadLocation(c.Items[0].TimeZone)
	if err != nil {
		return RuleError{"scheduled_at", "the homes' time zone is unknown"}
	}
	local := start.In(loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	from, to := local.Sub(midnight), local.Add(c.EstimatedLength()).Sub(midnight)
	if from < DayStart || to > DayEnd {
		return RuleError{"scheduled_at", fmt.Sprintf("the tour (about %s) must start and end between 08:00 and 20:00 %s time",
			c.EstimatedLength().Round(time.Minute), strings.ReplaceAll(c.Items[0].TimeZone, "_", " "))}
	}
	return nil
}

// DistanceKM is the great-circle distance between two points (haversine).
func DistanceKM(a, b events.GeoPoint) float64 { return geo.DistanceKM(a.Lat, a.Lng, b.Lat, b.Lng) }

package cart_test

import (
	"errors"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/cart"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/tourplan"
)

func usd(n int64) events.Money { return events.Money{Amount: n, Currency: "USD"} }

// Homes in Chicago (the Loop, Wicker Park, Evanston) and one in Milwaukee.
var (
	loop       = cart.Item{ListingID: "loop", TourFee: usd(2500), Location: events.GeoPoint{Lat: 41.8781, Lng: -87.6298}, TimeZone: "America/Chicago"}
	wicker     = cart.Item{ListingID: "wicker", TourFee: usd(1500), Location: events.GeoPoint{Lat: 41.9088, Lng: -87.6796}, TimeZone: "America/Chicago"}
	evanston   = cart.Item{ListingID: "evanston", TourFee: usd(1000), Location: events.GeoPoint{Lat: 42.0451, Lng: -87.6877}, TimeZone: "America/Chicago"}
	milwaukee  = cart.Item{ListingID: "milwaukee", TourFee: usd(1000), Location: events.GeoPoint{Lat: 43.0389, Lng: -87.9065}, TimeZone: "America/Chicago"}
	newYork    = cart.Item{ListingID: "ny", TourFee: usd(1000), Location: events.GeoPoint{Lat: 41.88, Lng: -87.63}, TimeZone: "America/New_York"}
	euroPriced = cart.Item{ListingID: "eur", TourFee: events.Money{Amount: 1000, Currency: "EUR"}, Location: events.GeoPoint{Lat: 41.88, Lng: -87.63}, TimeZone: "America/Chicago"}
)

func TestCanAdd(t *testing.T) {
	cases := []struct {
		name  string
		cart  []cart.Item
		add   cart.Item
		valid bool
	}{
		{"first home", nil, loop, true},
		{"a close home", []cart.Item{loop}, wicker, true},
		{"the same home again", []cart.Item{loop}, loop, true},
		{"within 30 km of every home", []cart.Item{loop, wicker}, evanston, true},
		{"too far (Milwaukee, ~130 km)", []cart.Item{loop}, milwaukee, false},
		{"another time zone", []cart.Item{loop}, newYork, false},
		{"another currency", []cart.Item{loop}, euroPriced, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := cart.Cart{Items: c.cart}.CanAdd(c.add)
			if (err == nil) != c.valid {
				t.Fatalf("CanAdd = %v, want valid=%v", err, c.valid)
			}
		})
	}
	full := cart.Cart{}
	for i := range cart.MaxItems {
		it := loop
		it.ListingID = string(rune('a' + i))
		full.Items = append(full.Items, it)
	}
	if err := full.CanAdd(wicker); err == nil {
		t.Fatal("a sixth home was accepted")
	}
}

func TestCheckTime(t *testing.T) {
	chicago, _ := time.LoadLocation("America/Chicago")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	two := cart.Cart{Items: []cart.Item{loop, wicker}}
	at := func(day, hour, min int) time.Time { return time.Date(2026, 11, day, hour, min, 0, 0, chicago) }
	cases := []struct {
		name  string
		c     cart.Cart
		start time.Time
		valid bool
	}{
		{"tomorrow 10:00 local", two, at(26, 10, 0), true},
		{"in the past", two, now.Add(-time.Hour), false},
		{"in 30 minutes", two, now.Add(30 * time.Minute), false},
		{"before 08:00 local", two, at(26, 7, 30), false},
		{"ends after 20:00 local (starts 19:30)", two, at(26, 19, 30), false},
		{"ends just before 20:00", two, at(26, 18, 50), true},
		{"too far ahead", two, now.Add(100 * 24 * time.Hour), false},
		{"10:00 local is 16:00 UTC, not 10:00 UTC", two, time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.c.CheckTime(c.start, now, tourplan.Default)
			if (err == nil) != c.valid {
				t.Fatalf("CheckTime(%v) = %v, want valid=%v", c.start.In(chicago), err, c.valid)
			}
		})
	}
	if err := (cart.Cart{}).CheckTime(at(26, 10, 0), now, tourplan.Default); !errors.Is(err, cart.ErrEmpty) {
		t.Fatalf("empty cart = %v, want ErrEmpty", err)
	}
}

func TestTotalAndLength(t *testing.T) {
	c := cart.Cart{Items: []cart.Item{loop, wicker, evanston}}
	total, err := c.Total()
	if err != nil || total != usd(5000) {
		t.Fatalf("Total = %v, %v", total, err)
	}
	// Three visits of 30 min plus ~5 km and ~15 km of driving at 40 km/h,
	// each leg rounded up to the minute.
	if l := c.Route(time.Now(), tourplan.Default).Length(); l != 122*time.Minute {
		t.Fatalf("route length = %v, want 2h02m", l)
	}
	if d := tourplan.DistanceKM(loop.Location, milwaukee.Location); d < 125 || d > 135 {
		t.Fatalf("Chicago-Milwaukee = %.1f km", d)
	}
}

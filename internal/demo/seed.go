package demo

import (
	"context"
	"net/http"
	"time"
)

// Home is a listing to create: where it is, what it costs to buy and to
// tour (minor units of USD).
type Home struct {
	Title, Line1, City string
	Lat, Lng           float64
	Price, TourFee     int64
	Bedrooms           int
	Bathrooms          int
}

// Seeder creates accounts, realtor profiles and listings through the public
// HTTP API, as the demo does. Its methods may be called concurrently.
type Seeder struct{ d *driver }

// NewSeeder returns a Seeder for the system at baseURL. suffix makes the
// e-mail addresses of one run unique; client may be nil (a 15 s timeout).
func NewSeeder(baseURL, suffix string, client *http.Client) *Seeder {
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	return &Seeder{d: &driver{cfg: Config{BaseURL: baseURL}, http: client, suffix: suffix}}
}

// Login signs in and returns the access token.
func (s *Seeder) Login(email, password string) (string, error) { return s.d.login(email, password) }

// Account registers a user of role (customer, provider or realtor) with a
// unique e-mail, has the admin verify them if verify is set, and returns
// their access token.
func (s *Seeder) Account(adminToken, role, name string, verify bool) (string, error) {
	return s.d.account(adminToken, role, name, verify)
}

// Realtor registers and verifies a realtor working 08:00-20:00 every day,
// 25 km around (lat, lng) in America/Chicago, available; it returns the
// realtor's token.
func (s *Seeder) Realtor(adminToken, name string, lat, lng float64) (string, error) {
	return s.d.realtor(adminToken, name, lat, lng)
}

// Listing creates h as the (verified) provider and returns its id. It
// retries for up to 10 s while the listing service has not yet learnt of
// the provider's verification.
func (s *Seeder) Listing(ctx context.Context, providerToken string, h Home) (string, error) {
	return s.d.listing(ctx, providerToken, home{title: h.Title, line1: h.Line1, city: h.City, lat: h.Lat, lng: h.Lng,
		price: h.Price, fee: h.TourFee, beds: h.Bedrooms, baths: h.Bathrooms})
}

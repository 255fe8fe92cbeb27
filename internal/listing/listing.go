// Package listing owns the homes providers put on the market and the search
// everyone signed in runs over them. It keeps its own copy of each
// provider's standing (verified, active), fed by iam's events, so a write
// never has to ask iam and a suspension hides listings without a call.
//
// The domain, types and rules with no I/O, is listing.go (this file),
// validate.go, patch.go, provider.go, geo.go and search.go. store.go is the
// Store it needs; store_sql.go and search_sql.go implement it on SQLite and
// PostgreSQL. service.go runs the rules against the store, http*.go is the
// HTTP API and events.go what listing publishes and consumes.
package listing

import (
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/fault"
	"github.com/openhouse/openhouse/internal/platform/usertext"
)

// listingStatus says whether a listing is on the market.
type listingStatus string

// Listing statuses. A deleted listing is kept (history, events already
// sent) but never served again.
const (
	statusActive  listingStatus = "active"
	statusDeleted listingStatus = "deleted"
)

// address is where the home is. Country is an ISO 3166-1 alpha-2 code.
type address struct {
	Line1      string
	City       string
	Region     string
	PostalCode string
	Country    string
}

// location is a WGS 84 position in degrees.
type location struct {
	Lat, Lng float64
}

// details are the fields a provider edits: everything but identity,
// status and timestamps. PUT replaces all of them; PATCH some.
type details struct {
	Title       string
	Description string
	Address     address
	Location    location
	Price       events.Money
	Bedrooms    int
	Bathrooms   int
	TourFee     events.Money // what a customer pays to tour this home
	TimeZone    string       // IANA name; tours are scheduled in it
	// Showing are the provider's showing rules (showing.go); the zero
	// value, normalized, is mode auto with no limits.
	Showing events.Showing
}

// listing is a home on the market.
type listing struct {
	ID         string
	ProviderID string
	details
	Status listingStatus
	// ProviderActive is false while the provider is suspended; the store
	// keeps it equal to the provider's standing so that search can leave
	// such listings out without a join.
	ProviderActive bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Errors callers branch on, and clients are answered by their kind.
var (
	// errNotFound covers a listing that does not exist, is deleted, is
	// hidden because its provider is suspended, or belongs to another
	// provider: the caller must not learn which.
	errNotFound = fault.NotFound("listing not found").WithDetail("no listing with this id")
	// errNotAllowed is a provider that is not (or no longer) verified and
	// active.
	errNotAllowed = fault.Forbidden("provider account is not verified and active").
			WithDetail("only a verified, active provider may create or change listings")
)

// newListing puts a home on the market. d must be normalized and valid.
// Times are kept to the microsecond, the precision PostgreSQL stores, so a
// listing reads back equal to what was written on both engines.
func newListing(id, providerID string, d details, now time.Time) listing {
	now = instant(now)
	d.Showing = normalizedShowing(d.Showing)
	return listing{
		ID: id, ProviderID: providerID, details: d,
		Status: statusActive, ProviderActive: true,
		CreatedAt: now, UpdatedAt: now,
	}
}

// instant is how the listing service records a moment: UTC, whole
// microseconds.
func instant(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Visible reports whether the listing is served to anyone: active, and its
// provider not suspended.
func (l listing) Visible() bool { return l.Status == statusActive && l.ProviderActive }

// Normalized puts the free-text fields in the platform's stored form
// (internal/platform/usertext: NFC, trimmed, CR LF as LF in the
// description) and upper-cases the country code, so that "  Seattle " and
// "Seattle" are the same city.
func (d details) Normalized() details {
	line := func(s string) string { return usertext.Normalize(s, usertext.Line) }
	d.Title = line(d.Title)
	d.Description = usertext.Normalize(d.Description, usertext.Multiline)
	d.Address = address{
		Line1:      line(d.Address.Line1),
		City:       line(d.Address.City),
		Region:     line(d.Address.Region),
		PostalCode: line(d.Address.PostalCode),
		Country:    strings.ToUpper(strings.TrimSpace(d.Address.Country)),
	}
	d.TimeZone = strings.TrimSpace(d.TimeZone)
	d.Showing = normalizedShowing(d.Showing)
	return d
}

// checkWrite says whether provider p may change l (nil l: create a new
// listing). An unverified or suspended provider gets errNotAllowed whatever
// the listing; another provider's listing, or a deleted one, is
// errNotFound, so a provider cannot probe which ids exist.
func checkWrite(p provider, l *listing) error {
	if !p.MayList() {
		return errNotAllowed
	}
	if l != nil && (l.ProviderID != p.ID || l.Status != statusActive) {
		return errNotFound
	}
	return nil
}

// Replace sets all of l's details (PUT) and returns the names of the fields
// that changed; with none, l is left as it was.
func (l *listing) Replace(d details, now time.Time) []string {
	changed := diff(l.details, d)
	if len(changed) > 0 {
		l.details = d
		l.UpdatedAt = instant(now)
	}
	return changed
}

// Delete takes l off the market.
func (l *listing) Delete(now time.Time) {
	l.Status = statusDeleted
	l.UpdatedAt = instant(now)
}

// diff names the top-level fields (as the API spells them) that differ.
func diff(a, b details) []string {
	var out []string
	add := func(name string, differs bool) {
		if differs {
			out = append(out, name)
		}
	}
	add("title", a.Title != b.Title)
	add("description", a.Description != b.Description)
	add("address", a.Address != b.Address)
	add("location", a.Location != b.Location)
	add("price", a.Price != b.Price)
	add("bedrooms", a.Bedrooms != b.Bedrooms)
	add("bathrooms", a.Bathrooms != b.Bathrooms)
	add("tour_fee", a.TourFee != b.TourFee)
	add("time_zone", a.TimeZone != b.TimeZone)
	add("showing", !showingEqual(a.Showing, b.Showing))
	return out
}

package listing

import (
	"time"

	"github.com/openhouse/openhouse/internal/events"
)

// patch is a partial change (PATCH): a nil field is left as it is. Every
// field of a listing is required, so there is no "set to null"; the HTTP
// layer rejects a JSON null before a patch is made.
type patch struct {
	Title       *string
	Description *string
	Address     *addressPatch
	Location    *location // both coordinates together: half a position means nothing
	Price       *events.Money
	Bedrooms    *int
	Bathrooms   *int
	TourFee     *events.Money
	TimeZone    *string
	// Showing replaces the showing rules whole: the provider's form sends
	// them all.
	Showing *events.Showing
}

// addressPatch changes some address fields, so a provider can fix a postal
// code without resending the street.
type addressPatch struct {
	Line1      *string
	City       *string
	Region     *string
	PostalCode *string
	Country    *string
}

// Apply returns d with p's fields set, normalized.
func (p patch) Apply(d details) details {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&d.Title, p.Title)
	set(&d.Description, p.Description)
	if a := p.Address; a != nil {
		set(&d.Address.Line1, a.Line1)
		set(&d.Address.City, a.City)
		set(&d.Address.Region, a.Region)
		set(&d.Address.PostalCode, a.PostalCode)
		set(&d.Address.Country, a.Country)
	}
	if p.Location != nil {
		d.Location = *p.Location
	}
	if p.Price != nil {
		d.Price = *p.Price
	}
	if p.Bedrooms != nil {
		d.Bedrooms = *p.Bedrooms
	}
	if p.Bathrooms != nil {
		d.Bathrooms = *p.Bathrooms
	}
	if p.TourFee != nil {
		d.TourFee = *p.TourFee
	}
	set(&d.TimeZone, p.TimeZone)
	if p.Showing != nil {
		d.Showing = *p.Showing
	}
	return d.Normalized()
}

// ApplyPatch changes l by p if the result is valid, and returns the names of
// the fields that changed (none: l is left as it was). An invalid result is
// a validationError and l is untouched.
func (l *listing) ApplyPatch(p patch, now time.Time) ([]string, error) {
	d := p.Apply(l.details)
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return l.Replace(d, now), nil
}

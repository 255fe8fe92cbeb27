package listing

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/openhouse/openhouse/internal/events"
)

// Request bodies. Fields are pointers (or optional) so that a missing field
// is told apart from a zero one: bedrooms 0 and location 0,0 are valid, a
// forgotten bedrooms or location is not.

// listingBody is a whole listing: POST /listings and PUT /listings/{id}.
type listingBody struct {
	Title       *string       `json:"title" required:"true" doc:"1 to 200 characters." example:"Sunny loft near the Loop"`
	Description *string       `json:"description" doc:"Up to 5000 characters; empty when left out." example:"Two bedrooms, one bath, a view of the river."` // optional; "" when absent
	Address     *addressBody  `json:"address" required:"true"`
	Location    *locationBody `json:"location" required:"true"`
	Price       *moneyBody    `json:"price" required:"true"`
	Bedrooms    *int          `json:"bedrooms" required:"true" minimum:"0" maximum:"100" example:"2"`
	Bathrooms   *int          `json:"bathrooms" required:"true" minimum:"0" maximum:"100" example:"1"`
	TourFee     *moneyBody    `json:"tour_fee" required:"true"`
	TimeZone    *string       `json:"time_zone" required:"true" doc:"IANA time zone of the home." example:"America/Chicago"`
	// Showing is optional: left out of a POST, the home is shown in mode
	// auto with no limits; left out of a PUT, the rules are kept.
	Showing *events.Showing `json:"showing" doc:"The showing rules. Left out: mode auto and no limits on a new listing; the current rules on a PUT."`
	Access  *accessBody     `json:"access,omitempty" doc:"Write-only: how the assigned realtor gets in. Left out, kept; both fields empty, removed. GET shows only access_set."`
}

type addressBody struct {
	Line1      *string `json:"line1" required:"true" example:"1 Main St"`
	City       *string `json:"city" required:"true" example:"Chicago"`
	Region     *string `json:"region" example:"IL"`         // optional
	PostalCode *string `json:"postal_code" example:"60601"` // optional
	Country    *string `json:"country" required:"true" doc:"ISO 3166-1 alpha-2." example:"US"`
}

type locationBody struct {
	Lat *float64 `json:"lat" required:"true" minimum:"-90" maximum:"90" example:"41.8781"`
	Lng *float64 `json:"lng" required:"true" minimum:"-180" maximum:"180" example:"-87.6298"`
}

type moneyBody struct {
	Amount   *int64  `json:"amount" required:"true" doc:"Integer minor units (cents)." minimum:"0" example:"2500"`
	Currency *string `json:"currency" required:"true" doc:"ISO 4217 code." example:"USD"`
}

// required collects "is required" errors for absent fields.
type required struct{ errs validationError }

func (q *required) check(field string, present bool) {
	if !present {
		q.errs = append(q.errs, fieldError{Field: field, Message: "is required"})
	}
}

// covers reports whether field, or an object holding it, was reported
// missing; its rule violations would only repeat that.
func (q *required) covers(field string) bool {
	for _, e := range q.errs {
		if field == e.Field || strings.HasPrefix(field, e.Field+".") {
			return true
		}
	}
	return false
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func num[T int | int64 | float64](p *T) T {
	if p == nil {
		return 0
	}
	return *p
}

func (m *moneyBody) money(field string, req *required) events.Money {
	req.check(field, m != nil)
	if m == nil {
		return events.Money{}
	}
	req.check(field+".amount", m.Amount != nil)
	req.check(field+".currency", m.Currency != nil)
	return events.Money{Amount: num(m.Amount), Currency: str(m.Currency)}
}

func (l *locationBody) location(req *required) location {
	req.check("location", l != nil)
	if l == nil {
		return location{}
	}
	req.check("location.lat", l.Lat != nil)
	req.check("location.lng", l.Lng != nil)
	return location{Lat: num(l.Lat), Lng: num(l.Lng)}
}

// details turns the body into details, reporting every missing field and
// every broken rule in one validationError.
func (b listingBody) details() (details, error) {
	var req required
	req.check("title", b.Title != nil)
	req.check("address", b.Address != nil)
	req.check("bedrooms", b.Bedrooms != nil)
	req.check("bathrooms", b.Bathrooms != nil)
	req.check("time_zone", b.TimeZone != nil)
	d := details{
		Title:       str(b.Title),
		Description: str(b.Description),
		Location:    b.Location.location(&req),
		Price:       b.Price.money("price", &req),
		Bedrooms:    num(b.Bedrooms),
		Bathrooms:   num(b.Bathrooms),
		TourFee:     b.TourFee.money("tour_fee", &req),
		TimeZone:    str(b.TimeZone),
	}
	if b.Showing != nil {
		d.Showing = *b.Showing
	}
	if a := b.Address; a != nil {
		req.check("address.line1", a.Line1 != nil)
		req.check("address.city", a.City != nil)
		req.check("address.country", a.Country != nil)
		d.Address = address{Line1: str(a.Line1), City: str(a.City), Region: str(a.Region),
			PostalCode: str(a.PostalCode), Country: str(a.Country)}
	}
	d = d.Normalized()
	errs := req.errs
	if err := d.Validate(); err != nil {
		for _, e := range err.(validationError) {
			if !req.covers(e.Field) {
				errs = append(errs, e)
			}
		}
	}
	if len(errs) > 0 {
		return details{}, errs
	}
	return d, nil
}

// optional is a PATCH field: absent (set false), null, or a value. Plain
// pointers cannot tell absent from null.
type optional[T any] struct {
	set, null bool
	value     T
}

// APIShape implements httpapi.Shaped: a field present in the body is a T.
func (optional[T]) APIShape() any {
	var v T
	return v
}

// UnmarshalJSON is called only for fields present in the body, null
// included. Nested objects are decoded as strictly as the body: unknown
// fields are refused.
func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		o.null = true
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(&o.value)
}

// patchBody is PATCH /listings/{id}: only the fields to change.
type patchBody struct {
	Title       optional[string]           `json:"title"`
	Description optional[string]           `json:"description"`
	Address     optional[addressPatchBody] `json:"address"`
	Location    optional[locationBody]     `json:"location"`
	Price       optional[moneyBody]        `json:"price"`
	Bedrooms    optional[int]              `json:"bedrooms"`
	Bathrooms   optional[int]              `json:"bathrooms"`
	TourFee     optional[moneyBody]        `json:"tour_fee"`
	TimeZone    optional[string]           `json:"time_zone"`
	Showing     optional[events.Showing]   `json:"showing" doc:"The showing rules, whole: fields left out of it are reset to their defaults."`
	Access      optional[accessBody]       `json:"access" doc:"Write-only access (see POST); both fields empty removes it."`
}

type addressPatchBody struct {
	Line1      optional[string] `json:"line1"`
	City       optional[string] `json:"city"`
	Region     optional[string] `json:"region"`
	PostalCode optional[string] `json:"postal_code"`
	Country    optional[string] `json:"country"`
}

// patchField turns an optional into the patch's pointer; null is an error,
// since every field of a listing has a value (send "" to clear a text).
func patchField[T any](field string, o optional[T], errs *validationError) *T {
	if !o.set {
		return nil
	}
	if o.null {
		*errs = append(*errs, fieldError{Field: field, Message: "must not be null; leave the field out to keep it"})
		return nil
	}
	v := o.value
	return &v
}

// patch turns the body into a patch. Missing halves of a location or an
// amount are errors; the rules on the resulting listing are checked by the
// domain.
func (b patchBody) patch() (patch, error) {
	var errs validationError
	p := patch{
		Title:       patchField("title", b.Title, &errs),
		Description: patchField("description", b.Description, &errs),
		Bedrooms:    patchField("bedrooms", b.Bedrooms, &errs),
		Bathrooms:   patchField("bathrooms", b.Bathrooms, &errs),
		TimeZone:    patchField("time_zone", b.TimeZone, &errs),
		Showing:     patchField("showing", b.Showing, &errs),
	}
	var req required
	if a := patchField("address", b.Address, &errs); a != nil {
		p.Address = &addressPatch{
			Line1:      patchField("address.line1", a.Line1, &errs),
			City:       patchField("address.city", a.City, &errs),
			Region:     patchField("address.region", a.Region, &errs),
			PostalCode: patchField("address.postal_code", a.PostalCode, &errs),
			Country:    patchField("address.country", a.Country, &errs),
		}
	}
	if l := patchField("location", b.Location, &errs); l != nil {
		loc := l.location(&req)
		p.Location = &loc
	}
	if m := patchField("price", b.Price, &errs); m != nil {
		price := m.money("price", &req)
		p.Price = &price
	}
	if m := patchField("tour_fee", b.TourFee, &errs); m != nil {
		fee := m.money("tour_fee", &req)
		p.TourFee = &fee
	}
	errs = append(errs, req.errs...)
	if len(errs) > 0 {
		return patch{}, errs
	}
	return p, nil
}

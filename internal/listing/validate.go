package listing

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"fmt"
	"time"
	_ "time/tzdata" // time zones are validated the same on a host without /usr/share/zoneinfo
	"unicode/utf8"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/usertext"
)

// Bounds on what a listing may hold. Strings are counted in characters
// (runes), after trimming.
const (
	maxTitleLen       = 200
	maxDescriptionLen = 5000
	maxLine1Len       = 200
	maxCityLen        = 100
	maxRegionLen      = 100
	maxPostalCodeLen  = 20
	maxTimeZoneLen    = 64
	// maxRooms bounds bedrooms and bathrooms: no home has more, and a
	// typo of 1000 is caught.
	maxRooms = 100
)

// fieldError and validationError are fault's: one invalid field, and every
// invalid field of a request at once.
type (
	fieldError      = fault.FieldError
	validationError = fault.ValidationError
)

// Validate checks normalized details against the rules of the platform and
// returns a validationError naming every bad field, or nil.
func (d details) Validate() error {
	var errs validationError
	add := func(field, msg string) { errs = append(errs, fieldError{Field: field, Message: msg}) }
	text := func(field, v string, minLen, maxLen int, kind usertext.Kind) {
		n := utf8.RuneCountInString(v)
		switch {
		case n < minLen || n > maxLen:
			if minLen == 0 {
				add(field, fmt.Sprintf("must be at most %d characters", maxLen))
			} else {
				add(field, fmt.Sprintf("must be %d to %d characters", minLen, maxLen))
			}
		default:
			if msg := usertext.Check(v, kind); msg != "" {
				add(field, msg)
			}
		}
	}
	text("title", d.Title, 1, maxTitleLen, usertext.Line)
	text("description", d.Description, 0, maxDescriptionLen, usertext.Multiline)
	text("address.line1", d.Address.Line1, 1, maxLine1Len, usertext.Line)
	text("address.city", d.Address.City, 1, maxCityLen, usertext.Line)
	text("address.region", d.Address.Region, 0, maxRegionLen, usertext.Line)
	text("address.postal_code", d.Address.PostalCode, 0, maxPostalCodeLen, usertext.Line)
	if !isCountryCode(d.Address.Country) {
		add("address.country", "must be an ISO 3166-1 alpha-2 country code such as US")
	}
	if !(d.Location.Lat >= -90 && d.Location.Lat <= 90) { // also false for NaN
		add("location.lat", "must be between -90 and 90")
	}
	if !(d.Location.Lng >= -180 && d.Location.Lng <= 180) {
		add("location.lng", "must be between -180 and 180")
	}
	money := func(field string, m events.Money, positive bool) {
		if err := m.Validate(); err != nil {
			add(field, err.Error())
		} else if positive && m.Amount == 0 {
			add(field+".amount", "must be more than zero")
		}
	}
	money("price", d.Price, true)
	money("tour_fee", d.TourFee, false)
	if d.Bedrooms < 0 || d.Bedrooms > maxRooms {
		add("bedrooms", fmt.Sprintf("must be 0 to %d", maxRooms))
	}
	if d.Bathrooms < 0 || d.Bathrooms > maxRooms {
		add("bathrooms", fmt.Sprintf("must be 0 to %d", maxRooms))
	}
	if !validTimeZone(d.TimeZone) {
		add("time_zone", "must be an IANA time zone name such as America/New_York")
	}
	validateShowing(d.Showing, add)
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// validTimeZone accepts the names time.LoadLocation knows, except "" and
// "Local", which it also accepts but which mean "whatever the server is".
func validTimeZone(name string) bool {
	if name == "" || name == "Local" || len(name) > maxTimeZoneLen {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

package listing

import (
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/usertext"
)

// searchParams are the query parameters GET /listings understands. Any
// other is refused, so a typo (radius=5 for radius_km=5) is a 400 instead of
// a silently wider search.
var searchParams = map[string]bool{
	"near": true, "radius_km": true, "min_price": true, "max_price": true, "currency": true,
	"bedrooms": true, "city": true, "q": true, "limit": true, "cursor": true,
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// badParam is the 400 for one query parameter.
func badParam(name, msg string) *httpapi.Problem {
	p := httpapi.BadRequest("query parameter " + name + " " + msg)
	p.Errors = []httpapi.FieldError{{Field: name, Message: msg}}
	return p
}

// parseSearch reads and checks GET /listings's query. Every failure is a
// 400 problem naming the parameter.
func parseSearch(r *http.Request) (query, error) {
	values := r.URL.Query()
	for name, vs := range values {
		if !searchParams[name] {
			return query{}, badParam(name, "is not a parameter of this list")
		}
		if len(vs) > 1 {
			return query{}, badParam(name, "may be given once")
		}
	}
	page, err := httpapi.ParsePage(r)
	if err != nil {
		return query{}, err
	}
	q := query{Limit: page.Limit}
	get := values.Get

	if s := get("near"); s != "" {
		loc, ok := parseNear(s)
		if !ok {
			return query{}, badParam("near", "must be LAT,LNG in degrees, latitude -90 to 90 and longitude -180 to 180")
		}
		q.Near = &loc
		q.RadiusKM = defaultRadiusKM
	}
	if s := get("radius_km"); s != "" {
		if q.Near == nil {
			return query{}, badParam("radius_km", "needs near")
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(v > 0 && v <= maxRadiusKM) { // also refuses NaN
			return query{}, badParam("radius_km", fmt.Sprintf("must be a number of kilometres above 0 and at most %d", maxRadiusKM))
		}
		q.RadiusKM = v
	}
	amount := func(name string) (*int64, error) {
		s := get(name)
		if s == "" {
			return nil, nil
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 || v > events.MaxAmount {
			return nil, badParam(name, fmt.Sprintf("must be an amount in minor units from 0 to %d", int64(events.MaxAmount)))
		}
		return &v, nil
	}
	if q.MinPrice, err = amount("min_price"); err != nil {
		return query{}, err
	}
	if q.MaxPrice, err = amount("max_price"); err != nil {
		return query{}, err
	}
	if q.MinPrice != nil && q.MaxPrice != nil && *q.MinPrice > *q.MaxPrice {
		return query{}, badParam("max_price", "must not be below min_price")
	}
	if s := get("currency"); s != "" {
		if !currencyCode.MatchString(s) {
			return query{}, badParam("currency", "must be an ISO 4217 code such as USD")
		}
		q.Currency = s
	}
	if s := get("bedrooms"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 || v > maxRooms {
			return query{}, badParam("bedrooms", fmt.Sprintf("must be a whole number from 0 to %d (the fewest bedrooms)", maxRooms))
		}
		q.MinBedrooms = v
	}
	if q.City, err = textParam(get, "city", maxCityLen); err != nil {
		return query{}, err
	}
	if q.Text, err = textParam(get, "q", maxQueryLen); err != nil {
		return query{}, err
	}
	if page.Cursor != "" {
		var c cursor
		if err := httpapi.DecodeCursor(page.Cursor, &c); err != nil {
			return query{}, err
		}
		if !q.CheckCursor(c) {
			return query{}, badParam("cursor", "belongs to another search; start again without it")
		}
		q.After = &c
	}
	return q, nil
}

// parseNear reads "LAT,LNG".
func parseNear(s string) (location, bool) {
	latS, lngS, ok := strings.Cut(s, ",")
	if !ok {
		return location{}, false
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(latS), 64)
	lng, err2 := strconv.ParseFloat(strings.TrimSpace(lngS), 64)
	if err1 != nil || err2 != nil || !(lat >= -90 && lat <= 90) || !(lng >= -180 && lng <= 180) ||
		math.IsNaN(lat) || math.IsNaN(lng) {
		return location{}, false
	}
	return location{Lat: lat, Lng: lng}, true
}

// textParam reads a free-text parameter: valid UTF-8, at most maxLen
// characters, and one line of the platform's text policy
// (internal/platform/usertext), normalised as listings' text is stored so
// that it matches it. No line breaks also keeps q from spanning the fields
// of searchText.
func textParam(get func(string) string, name string, maxLen int) (string, error) {
	raw := get(name)
	if !utf8.ValidString(raw) {
		return "", badParam(name, "must be valid UTF-8")
	}
	s := usertext.Normalize(raw, usertext.Line)
	if utf8.RuneCountInString(s) > maxLen {
		return "", badParam(name, fmt.Sprintf("must be text of at most %d characters", maxLen))
	}
	if msg := usertext.Check(s, usertext.Line); msg != "" {
		return "", badParam(name, msg)
	}
	return s, nil
}

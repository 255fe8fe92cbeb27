package listing

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// validJSON is a whole listing as a client would send it; the cases below
// break one thing in it.
const validJSON = `{"title":"Loft","description":"Nice","address":{"line1":"1 Main St","city":"Seattle","region":"WA",` +
	`"postal_code":"98101","country":"US"},"location":{"lat":47.6,"lng":-122.3},"price":{"amount":50000000,` +
	`"currency":"USD"},"bedrooms":2,"bathrooms":1,"tour_fee":{"amount":2500,"currency":"USD"},"time_zone":"America/Los_Angeles"}`

// with replaces the first occurrence of old in validJSON.
func with(old, repl string) string {
	if !strings.Contains(validJSON, old) {
		panic("validJSON has no " + old)
	}
	return strings.Replace(validJSON, old, repl, 1)
}

// TestBadBodies: malformed JSON, wrong types, unknown fields, huge strings
// and out-of-range numbers get a 4xx problem on POST, PUT and PATCH, and
// nothing changes.
func TestBadBodies(t *testing.T) {
	s := newServer(t, storetest.OpenSQLite)
	p := s.provider("p1", true)
	existing := s.create(p, seattle())
	before := snapshotState(t, s)

	bodies := []struct {
		name        string
		body        string
		contentType string
		status      int
		field       string // the field named in errors, if any
	}{
		{"empty", "", "", 400, ""},
		{"not JSON", "title=Loft", "", 400, ""},
		{"truncated", validJSON[:40], "", 400, ""},
		{"trailing data", validJSON + `{}`, "", 400, ""},
		{"an array", `[` + validJSON + `]`, "", 400, ""},
		{"a string", `"loft"`, "", 400, ""},
		{"form content type", validJSON, "application/x-www-form-urlencoded", 415, ""},
		{"no content type", validJSON, "-", 415, ""},
		{"string for a number", with(`"bedrooms":2`, `"bedrooms":"2"`), "", 400, "bedrooms"},
		{"fraction for a count", with(`"bedrooms":2`, `"bedrooms":2.5`), "", 400, "bedrooms"},
		{"count beyond int64", with(`"bedrooms":2`, `"bedrooms":1e30`), "", 400, "bedrooms"},
		{"number for a string", with(`"title":"Loft"`, `"title":42`), "", 400, "title"},
		{"string for a coordinate", with(`"lat":47.6`, `"lat":"north"`), "", 400, "location.lat"},
		{"coordinate beyond float64", with(`"lat":47.6`, `"lat":1e999`), "", 400, "location.lat"},
		{"number for an object", with(`"price":{"amount":50000000,"currency":"USD"}`, `"price":500`), "", 400, "price"},
		{"fraction for money", with(`"amount":50000000`, `"amount":500000.5`), "", 400, "price.amount"},
		{"amount beyond int64", with(`"amount":50000000`, `"amount":99999999999999999999`), "", 400, "price.amount"},
		{"unknown field", with(`"title":"Loft"`, `"title":"Loft","status":"deleted"`), "", 400, "status"},
		{"unknown nested field", with(`"city":"Seattle"`, `"city":"Seattle","unit":"4B"`), "", 400, "unit"},
		{"someone else's provider_id", with(`"title":"Loft"`, `"title":"Loft","provider_id":"p2"`), "", 400, "provider_id"},
		{"deep nesting", `{"title":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "", 400, ""},
		{"huge body", `{"title":"` + strings.Repeat("x", 2<<20) + `"}`, "", 413, ""},
		{"huge title", with(`"title":"Loft"`, `"title":"`+strings.Repeat("x", 10_000)+`"`), "", 422, "title"},
		{"huge description", with(`"description":"Nice"`, `"description":"`+strings.Repeat("x", 5001)+`"`), "", 422, "description"},
		{"latitude out of range", with(`"lat":47.6`, `"lat":91`), "", 422, "location.lat"},
		{"longitude out of range", with(`"lng":-122.3`, `"lng":-180.01`), "", 422, "location.lng"},
		{"too many bedrooms", with(`"bedrooms":2`, `"bedrooms":1000000`), "", 422, "bedrooms"},
		{"negative bathrooms", with(`"bathrooms":1`, `"bathrooms":-1`), "", 422, "bathrooms"},
		{"negative price", with(`"amount":50000000`, `"amount":-1`), "", 422, "price"},
		{"price over the maximum", with(`"amount":50000000`, `"amount":9000000000000000000`), "", 422, "price"},
		{"made-up currency", with(`"currency":"USD"`, `"currency":"DOLLARS"`), "", 422, "price"},
		{"made-up country", with(`"country":"US"`, `"country":"XX"`), "", 422, "address.country"},
		{"made-up time zone", with(`"time_zone":"America/Los_Angeles"`, `"time_zone":"America/Atlantis"`), "", 422, "time_zone"},
		{"control character", with(`"title":"Loft"`, `"title":"Lo\u0000ft"`), "", 422, "title"},
		{"escape in the title", with(`"title":"Loft"`, `"title":"Lo\u001b[2Jft"`), "", 422, "title"},
		{"line break in the title", with(`"title":"Loft"`, `"title":"Lo\r\nft"`), "", 422, "title"},
		{"C1 in the description", with(`"description":"Nice"`, `"description":"Ni\u0085ce"`), "", 422, "description"},
		{"bell in the description", with(`"description":"Nice"`, `"description":"Ni\u0007ce"`), "", 422, "description"},
		{"right-to-left override in the title", with(`"title":"Loft"`, `"title":"Loft \u202egnp.exe"`), "", 422, "title"},
		{"isolate in the city", with(`"city":"Seattle"`, `"city":"\u2067Seattle\u2069"`), "", 422, "address.city"},
		{"invisible title", with(`"title":"Loft"`, `"title":"\u200b\u200b"`), "", 422, "title"},
		{"invisible description", with(`"description":"Nice"`, `"description":"\u2060\n\ufeff"`), "", 422, "description"},
		{"invisible region", with(`"region":"WA"`, `"region":"\u3164"`), "", 422, "address.region"},
		{"DEL in the postal code", with(`"postal_code":"98101"`, `"postal_code":"981\u007f01"`), "", 422, "address.postal_code"},
		{"tab in the street", with(`"line1":"1 Main St"`, `"line1":"1\tMain St"`), "", 422, "address.line1"},
		{"null title", with(`"title":"Loft"`, `"title":null`), "", 422, "title"},
	}
	missing := []struct{ name, body, field string }{
		{"no title", with(`"title":"Loft",`, ``), "title"},
		{"no location", with(`"location":{"lat":47.6,"lng":-122.3},`, ``), "location"},
		{"half a location", with(`"lat":47.6,`, ``), "location.lat"},
		{"no bedrooms", with(`"bedrooms":2,`, ``), "bedrooms"},
		{"no currency", with(`,"currency":"USD"},"bedrooms"`, `},"bedrooms"`), "price.currency"},
		{"no time zone", with(`,"time_zone":"America/Los_Angeles"`, ``), "time_zone"},
		{"null body", `null`, "title"},
		{"empty object", `{}`, "title"},
	}
	for _, m := range missing {
		bodies = append(bodies, struct {
			name, body, contentType string
			status                  int
			field                   string
		}{m.name, m.body, "", 422, m.field})
	}

	for _, target := range []struct{ method, path string }{
		{"POST", "/listings"}, {"PUT", "/listings/" + existing.ID},
	} {
		for _, b := range bodies {
			t.Run(target.method+" "+b.name, func(t *testing.T) {
				r := s.raw(&p, target.method, target.path, b.body, b.contentType)
				pr := r.problem(b.status)
				if b.field != "" && !slices.ContainsFunc(pr.Errors, func(f fieldError) bool { return f.Field == b.field }) {
					t.Fatalf("errors %+v do not name %s", pr.Errors, b.field)
				}
			})
		}
	}

	patches := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"malformed", `{"title":`, 400, ""},
		{"wrong type", `{"bedrooms":"three"}`, 400, "bedrooms"},
		{"wrong nested type", `{"address":{"city":7}}`, 400, "address.city"},
		{"unknown field", `{"colour":"blue"}`, 400, "colour"},
		{"unknown nested field", `{"address":{"unit":"4B"}}`, 400, "unit"},
		{"unknown field in location", `{"location":{"lat":1,"lng":2,"alt":3}}`, 400, "alt"},
		{"huge title", `{"title":"` + strings.Repeat("y", 201) + `"}`, 422, "title"},
		{"out of range", `{"location":{"lat":-95,"lng":0}}`, 422, "location.lat"},
		{"null", `{"time_zone":null}`, 422, "time_zone"},
		{"one bad field among good ones", `{"title":"New","bedrooms":-3}`, 422, "bedrooms"},
		{"bidi override", `{"title":"\u202eNew"}`, 422, "title"},
		{"control character in the description", `{"description":"a\u001bb"}`, 422, "description"},
		{"invisible city", `{"address":{"city":"\u200b"}}`, 422, "address.city"},
	}
	for _, b := range patches {
		t.Run("PATCH "+b.name, func(t *testing.T) {
			pr := s.raw(&p, "PATCH", "/listings/"+existing.ID, b.body, "").problem(b.status)
			if b.field != "" && !slices.ContainsFunc(pr.Errors, func(f fieldError) bool { return f.Field == b.field }) {
				t.Fatalf("errors %+v do not name %s", pr.Errors, b.field)
			}
		})
	}

	if after := snapshotState(t, s); after != before {
		t.Fatalf("bad requests changed the state:\nbefore %s\nafter  %s", before, after)
	}
}

// TestBadQueries: every malformed search parameter is a 400 naming it, and
// injection attempts in q are only text.
func TestBadQueries(t *testing.T) {
	s := newServer(t, storetest.OpenSQLite)
	p := s.provider("p1", true)
	s.create(p, seattle())
	before := snapshotState(t, s)
	customer := auth.Principal{ID: "c1", Role: auth.RoleCustomer}
	otherQuery := base64.RawURLEncoding.EncodeToString([]byte(`{"f":1,"i":"x"}`))
	foreignJSON := base64.RawURLEncoding.EncodeToString([]byte(`{"offset":20}`))

	tests := []struct{ query, param string }{
		{"near=abc", "near"}, {"near=47.6", "near"}, {"near=47.6,-122.3,5", "near"}, {"near=91,0", "near"},
		{"near=0,181", "near"}, {"near=NaN,0", "near"}, {"near=0,Inf", "near"}, {"near=,", "near"},
		{"near=47.6,-122.3&radius_km=0", "radius_km"}, {"near=47.6,-122.3&radius_km=-1", "radius_km"},
		{"near=47.6,-122.3&radius_km=201", "radius_km"}, {"near=47.6,-122.3&radius_km=ten", "radius_km"},
		{"near=47.6,-122.3&radius_km=NaN", "radius_km"}, {"near=47.6,-122.3&radius_km=%2BInf", "radius_km"},
		{"radius_km=5", "radius_km"},
		{"min_price=-1", "min_price"}, {"min_price=1.5", "min_price"}, {"min_price=cheap", "min_price"},
		{"max_price=1e30", "max_price"}, {"min_price=100&max_price=99", "max_price"},
		{"min_price=99999999999999999999999", "min_price"},
		{"bedrooms=-1", "bedrooms"}, {"bedrooms=101", "bedrooms"}, {"bedrooms=two", "bedrooms"},
		{"bedrooms=1&bedrooms=2", "bedrooms"},
		{"currency=usd", "currency"}, {"currency=US", "currency"},
		{"city=" + strings.Repeat("c", 101), "city"}, {"city=a%0Ab", "city"},
		{"q=" + strings.Repeat("q", 201), "q"}, {"q=a%00b", "q"}, {"q=line%0Abreak", "q"}, {"q=%FF%FE", "q"},
		{"q=%E2%80%AEkcab", "q"}, {"city=%E2%80%8B", "city"}, {"q=a%1Bb", "q"},
		{"limit=0", "limit"}, {"limit=101", "limit"}, {"limit=ten", "limit"}, {"limit=-5", "limit"},
		{"cursor=not-a-cursor!", "cursor"}, {"cursor=" + foreignJSON, "cursor"}, {"cursor=" + otherQuery, "cursor"},
		{"cursor=" + strings.Repeat("A", 2000), "cursor"},
		{"radius=5", "radius"}, {"page=2", "page"}, {"sort=price", "sort"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			pr := s.do(&customer, "GET", "/listings?"+tt.query, nil).problem(400)
			if len(pr.Errors) != 1 || pr.Errors[0].Field != tt.param {
				t.Fatalf("errors %+v, want one naming %s", pr.Errors, tt.param)
			}
			if !strings.Contains(pr.Detail, tt.param) {
				t.Fatalf("detail %q does not name %s", pr.Detail, tt.param)
			}
		})
	}

	for _, q := range []string{`%' OR 1=1 --`, `' OR '1'='1`, `"; DROP TABLE listings; --`, `%`, `_`, `\`, `' UNION SELECT id FROM providers --`} {
		t.Run("q="+q, func(t *testing.T) {
			var pg page
			s.do(&customer, "GET", "/listings?q="+url.QueryEscape(q), nil).want(200).decode(&pg)
			if len(pg.Items) != 0 {
				t.Fatalf("q=%q matched %d listings", q, len(pg.Items))
			}
			s.do(&customer, "GET", "/listings?city="+url.QueryEscape(q), nil).want(200).decode(&pg)
			if len(pg.Items) != 0 {
				t.Fatalf("city=%q matched %d listings", q, len(pg.Items))
			}
		})
	}
	if after := snapshotState(t, s); after != before {
		t.Fatalf("searches changed the state:\nbefore %s\nafter  %s", before, after)
	}
}

// FuzzCreateBody: whatever the body, POST /listings answers 201 or a 4xx
// problem, never a 5xx.
func FuzzCreateBody(f *testing.F) {
	for _, seed := range []string{validJSON, `{}`, `null`, `{"title":null}`, with(`"lat":47.6`, `"lat":-0`),
		with(`"bedrooms":2`, `"bedrooms":1e2`), `{"address":{"city":{}}}`, "\xff\xfe"} {
		f.Add(seed)
	}
	s := newServer(f, storetest.OpenSQLite)
	p := s.provider("p1", true)
	f.Fuzz(func(t *testing.T, body string) {
		s := s.as(t)
		r := s.raw(&p, "POST", "/listings", body, "")
		if r.Code != http.StatusCreated {
			r.problem(r.Code)
			if r.Code < 400 || r.Code >= 500 {
				t.Fatalf("status %d for %q", r.Code, body)
			}
		}
	})
}

// FuzzSearchQuery: whatever the query string, GET /listings answers 200 or
// a 400 problem.
func FuzzSearchQuery(f *testing.F) {
	for _, seed := range []string{"", "near=47.6,-122.3&radius_km=5", "q=%25", "min_price=1&max_price=0",
		"near=-90,180&radius_km=200", "cursor=eyJmIjoxLCJpIjoieCJ9", "bedrooms=%00"} {
		f.Add(seed)
	}
	s := newServer(f, storetest.OpenSQLite)
	p := s.provider("p1", true)
	s.create(p, seattle())
	customer := auth.Principal{ID: "c1", Role: auth.RoleCustomer}
	f.Fuzz(func(t *testing.T, query string) {
		if _, err := url.ParseRequestURI("/listings?" + query); err != nil || strings.ContainsAny(query, " #") {
			t.Skip() // not something a client's request line can carry
		}
		s := s.as(t)
		r := s.do(&customer, "GET", "/listings?"+query, nil)
		if r.Code != http.StatusOK {
			r.problem(http.StatusBadRequest)
		}
	})
}

package places

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// DefaultResults is how many places a search answers without limit.
const DefaultResults = 10

// Routes is the places API as an authorization table. The gazetteer is
// public data, open to anyone (the sign-up page may use it); a geocoder
// lookup costs a request to an outside server, so it is for signed-in
// users (and rate limited per user by the app, per process here).
func (s *Service) Routes() []auth.Route {
	return []auth.Route{
		{Pattern: "GET /places", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleSearch),
			Doc: httpapi.Doc{Summary: "Find towns and US ZIP codes by prefix", Reply: httpapi.List[placeView]{}, Params: placeQuery{},
				Description: "Best match first: the start of a town's name (accents and case ignored, larger towns first) or of a ZIP code."}},
		{Pattern: "GET /places/geocode", Rule: auth.AnyUser(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleGeocode),
			Doc: httpapi.Doc{Summary: "Find an address with the geocoder", Reply: geocodeView{}, Params: geocodeQuery{},
				Description: "`available` is false when no geocoder is configured (the items are then empty): fall back to GET /places.",
				Errors:      map[int]string{http.StatusServiceUnavailable: "The geocoder is busy or did not answer; try again, or use a town or a ZIP code."}}},
	}
}

// placeQuery are GET /places's parameters; any other is a 400.
type placeQuery struct {
	Q     string `query:"q" required:"true" doc:"The start of a town's name or a ZIP code." example:"Chic"`
	Limit int    `query:"limit" doc:"How many places, 10 by default, at most 20." example:"10"`
}

// geocodeQuery are GET /places/geocode's parameters.
type geocodeQuery struct {
	Q     string `query:"q" required:"true" doc:"An address." example:"1 Main St, Chicago"`
	Limit int    `query:"limit" doc:"How many addresses, 5 at most." example:"5"`
}

// placeView is a place as the API shows it.
type placeView struct {
	Name     string       `json:"name"`
	Region   string       `json:"region"`
	Country  string       `json:"country"`
	Kind     Kind         `json:"kind" enum:"city,postal_code,address"`
	Location locationView `json:"location"`
	// Population is a city's, absent for postal codes and addresses.
	Population int `json:"population,omitempty"`
	// City is a postal code's town, as the Postal Service names it.
	City string `json:"city,omitempty"`
}

type locationView struct {
	Lat float64 `json:"lat" example:"41.8781"`
	Lng float64 `json:"lng" example:"-87.6298"`
}

func viewsOf(places []Place) []placeView {
	out := make([]placeView, len(places))
	for i, p := range places {
		out[i] = placeView{Name: p.Name, Region: p.Region, Country: p.Country, Kind: p.Kind,
			Location: locationView{Lat: p.Lat, Lng: p.Lng}, Population: p.Population, City: p.Town}
	}
	return out
}

// geocodeView is GET /places/geocode's answer. Available is false when no
// geocoder is configured: the items are then always empty, and a client
// falls back to GET /places (the town or ZIP code of the address).
type geocodeView struct {
	Items     []placeView `json:"items"`
	Available bool        `json:"available" doc:"Whether a geocoder is configured."`
}

func badParam(name, msg string) *httpapi.Problem {
	p := httpapi.BadRequest("query parameter " + name + " " + msg)
	p.Errors = []httpapi.FieldError{{Field: name, Message: msg}}
	return p
}

// parseQuery reads q (required, at most MaxQueryLen bytes) and limit (1 to
// MaxResults, default DefaultResults); any other parameter is a 400, so a
// typo never passes for a search.
func parseQuery(r *http.Request, maxLimit int) (q string, limit int, err error) {
	values := r.URL.Query()
	for name, vs := range values {
		if name != "q" && name != "limit" {
			return "", 0, badParam(name, "is not a parameter of this query")
		}
		if len(vs) > 1 {
			return "", 0, badParam(name, "may be given once")
		}
	}
	q = values.Get("q")
	switch {
	case Fold(q) == "":
		return "", 0, badParam("q", "is required: the start of a town's name or a ZIP code")
	case len(q) > MaxQueryLen:
		return "", 0, badParam("q", fmt.Sprintf("must be at most %d bytes", MaxQueryLen))
	}
	limit = min(DefaultResults, maxLimit)
	if s := values.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return "", 0, badParam("limit", fmt.Sprintf("must be an integer from 1 to %d", maxLimit))
		}
		limit = n
	}
	return q, limit, nil
}

func (s *Service) handleSearch(w http.ResponseWriter, r *http.Request) {
	q, limit, err := parseQuery(r, MaxResults)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList(viewsOf(s.places.Search(q, limit)), ""))
}

// MaxAddresses bounds the answers to one geocoder lookup.
const MaxAddresses = 5

func (s *Service) handleGeocode(w http.ResponseWriter, r *http.Request) {
	q, limit, err := parseQuery(r, MaxAddresses)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	if s.geocoder == nil {
		httpapi.WriteJSON(w, http.StatusOK, geocodeView{Items: []placeView{}})
		return
	}
	found, err := s.geocoder.Lookup(r.Context(), q, limit)
	var busy ErrGeocoderBusy
	switch {
	case errors.As(err, &busy):
		p := httpapi.Unavailable("the geocoder is busy; try again shortly")
		p.RetryAfter = busy.RetryAfter
		httpapi.WriteError(w, r, p)
		return
	case errors.Is(err, context.Canceled):
		return // the client left
	case err != nil:
		s.log.WarnContext(r.Context(), "geocoder lookup failed", "error", err.Error())
		httpapi.WriteError(w, r, httpapi.Unavailable("the geocoder did not answer; use a town or a ZIP code"))
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, geocodeView{Items: viewsOf(found), Available: true})
}

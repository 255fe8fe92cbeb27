package listing

import (
	"math"
	"net/http"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// Routes is the listing HTTP API as an authorization table. Commands are for providers (the
// service checks they are verified, active and own the listing); queries
// for every signed-in user and the services that read listings. Service
// identities never write.
func (s *Service) Routes() []auth.Route {
	read := auth.Rule{Roles: auth.UserRoles(), Services: s.cfg.ReaderServices}
	write := auth.Users(auth.RoleProvider)
	return []auth.Route{
		// Owned: the listing is its provider's, and only they may change it.
		{Pattern: "POST /listings", Rule: write, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleCreate), Body: listingBody{},
			Doc: httpapi.Doc{Summary: "List a home", Reply: listingView{}, Status: http.StatusCreated,
				Errors: map[int]string{http.StatusForbidden: "The caller is not a verified, active provider."}}},
		{Pattern: "GET /listings", Rule: read, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleSearch),
			Doc: httpapi.Doc{Summary: "Search listings", Reply: httpapi.List[listingView]{}, Params: searchQuery{},
				Description: "With `near`, items carry `distance_km` and come nearest first; otherwise newest first. A suspended provider's listings are left out.",
				Errors:      map[int]string{http.StatusTooManyRequests: "Too many searches by this caller."}}},
		{Pattern: "GET /listings/{id}", Rule: read, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleGet),
			Doc: httpapi.Doc{Summary: "Get a listing", Reply: listingView{}}},
		{Pattern: "GET /listings/{id}/slots", Rule: auth.AnyUser(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleSlots),
			Doc: httpapi.Doc{Summary: "The open slots of one home", Reply: tourplan.Slots{}, Params: tourplan.SlotsParams{},
				Description: "Every start on the grid at which some realtor can show this home, in its time zone, from `from` (its today by default) for `days` days. It names no realtor."}},
		{Pattern: "PUT /listings/{id}", Rule: write, Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleReplace), Body: listingBody{},
			Doc: httpapi.Doc{Summary: "Replace a listing (its provider)", Reply: listingView{}}},
		{Pattern: "PATCH /listings/{id}", Rule: write, Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handlePatch), Body: patchBody{},
			Doc: httpapi.Doc{Summary: "Change some fields of a listing (its provider)", Reply: listingView{},
				Description: "Fields left out are kept; null is refused (send \"\" to clear a text)."}},
		{Pattern: "DELETE /listings/{id}", Rule: write, Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleDelete),
			Doc: httpapi.Doc{Summary: "Take a listing off the market (its provider)",
				Description: "Its tours are cancelled and refunded; carts drop it."}},
		s.accessRoute(),
		s.activityRoute(),
	}
}

// listingView is a listing as the API shows it.
type listingView struct {
	ID          string         `json:"id" example:"01936b2e-7c4a-7d10-9b3e-5f2a1c0d4e6f"`
	ProviderID  string         `json:"provider_id" example:"4e72adf5-a236-45a0-b2ca-159b41eb4b9e"`
	Title       string         `json:"title" example:"Sunny loft near the Loop"`
	Description string         `json:"description" example:"Two bedrooms, one bath, a view of the river."`
	Address     addressView    `json:"address"`
	Location    locationView   `json:"location"`
	Price       events.Money   `json:"price"`
	Bedrooms    int            `json:"bedrooms" example:"2"`
	Bathrooms   int            `json:"bathrooms" example:"1"`
	TourFee     events.Money   `json:"tour_fee"`
	TimeZone    string         `json:"time_zone" doc:"IANA time zone; tours of the home are scheduled in it." example:"America/Chicago"`
	Status      listingStatus  `json:"status" enum:"active"`
	Showing     events.Showing `json:"showing"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	// AccessSet says whether access instructions are set; shown to the
	// listing's provider and admins only.
	AccessSet *bool `json:"access_set,omitempty" doc:"Whether access instructions are set (the provider and admins only; the access itself is never shown)."`
	// DistanceKM is set in answers to a search with near, rounded to the
	// metre.
	DistanceKM *float64 `json:"distance_km,omitempty" doc:"Searches with near: how far the home is, in km." example:"1.234"`
}

type addressView struct {
	Line1      string `json:"line1" example:"1 Main St"`
	City       string `json:"city" example:"Chicago"`
	Region     string `json:"region" example:"IL"`
	PostalCode string `json:"postal_code" example:"60601"`
	Country    string `json:"country" doc:"ISO 3166-1 alpha-2." example:"US"`
}

type locationView struct {
	Lat float64 `json:"lat" minimum:"-90" maximum:"90" example:"41.8781"`
	Lng float64 `json:"lng" minimum:"-180" maximum:"180" example:"-87.6298"`
}

// searchQuery are GET /listings's filters; any other parameter is a 400.
type searchQuery struct {
	Near     string  `query:"near" doc:"LAT,LNG: homes around this point, nearest first." example:"41.8781,-87.6298"`
	RadiusKM float64 `query:"radius_km" doc:"With near: how far, in km (default 25)." example:"10"`
	MinPrice int64   `query:"min_price" doc:"The lowest price, in minor units." example:"20000000"`
	MaxPrice int64   `query:"max_price" doc:"The highest price, in minor units." example:"60000000"`
	Currency string  `query:"currency" doc:"Only prices in this ISO 4217 currency." example:"USD"`
	Bedrooms int     `query:"bedrooms" doc:"The fewest bedrooms." example:"2"`
	City     string  `query:"city" doc:"Homes in this city (case and accents ignored)." example:"Chicago"`
	Q        string  `query:"q" doc:"Words that must all appear in the title, description or address." example:"loft river"`
}

func viewOf(l listing) listingView {
	a := l.Address
	return listingView{
		ID: l.ID, ProviderID: l.ProviderID, Title: l.Title, Description: l.Description,
		Address:  addressView{Line1: a.Line1, City: a.City, Region: a.Region, PostalCode: a.PostalCode, Country: a.Country},
		Location: locationView{Lat: l.Location.Lat, Lng: l.Location.Lng},
		Price:    l.Price, Bedrooms: l.Bedrooms, Bathrooms: l.Bathrooms, TourFee: l.TourFee,
		TimeZone: l.TimeZone, Status: l.Status, Showing: showingView(l.Showing),
		CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt,
	}
}

// showingView is s with empty lists as [] rather than null.
func showingView(s events.Showing) events.Showing {
	if s.Windows == nil {
		s.Windows = []events.ShowingWindow{}
	}
	if s.Blackouts == nil {
		s.Blackouts = []events.TimeRange{}
	}
	s.Mode = s.ModeOrAuto()
	return s
}

// caller is the authenticated user; Require has already refused anonymous
// requests and services on every route that calls it.
func caller(r *http.Request) string {
	p, _ := auth.PrincipalFrom(r.Context())
	return p.ID
}

func (s *Service) handleCreate(w http.ResponseWriter, r *http.Request) {
	var body listingBody
	if err := httpapi.Decode(w, r, &body); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	d, err := body.details()
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	access, err := checkAccess(body.Access)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	l, err := s.Create(r.Context(), caller(r), d)
	if err == nil {
		err = s.saveAccess(r.Context(), caller(r), l.ID, access)
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	w.Header().Set("Location", "/listings/"+l.ID)
	s.writeListing(w, r, http.StatusCreated, l)
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	id, ok := listingID(w, r)
	if !ok {
		return
	}
	l, err := s.Get(r.Context(), id)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	s.writeListing(w, r, http.StatusOK, l)
}

func (s *Service) handleReplace(w http.ResponseWriter, r *http.Request) {
	id, ok := listingID(w, r)
	if !ok {
		return
	}
	var body listingBody
	if err := httpapi.Decode(w, r, &body); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	d, err := body.details()
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	access, err := checkAccess(body.Access)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	l, err := s.Replace(r.Context(), caller(r), id, d, body.Showing == nil)
	if err == nil {
		err = s.saveAccess(r.Context(), caller(r), id, access)
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	s.writeListing(w, r, http.StatusOK, l)
}

func (s *Service) handlePatch(w http.ResponseWriter, r *http.Request) {
	id, ok := listingID(w, r)
	if !ok {
		return
	}
	var body patchBody
	if err := httpapi.Decode(w, r, &body); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	p, err := body.patch()
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	access, err := body.access()
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	l, err := s.Patch(r.Context(), caller(r), id, p)
	if err == nil {
		err = s.saveAccess(r.Context(), caller(r), id, access)
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	s.writeListing(w, r, http.StatusOK, l)
}

func (s *Service) handleDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := listingID(w, r)
	if !ok {
		return
	}
	if err := s.Delete(r.Context(), caller(r), id); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusNoContent, nil)
}

func (s *Service) handleSearch(w http.ResponseWriter, r *http.Request) {
	q, err := parseSearch(r)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	page, err := s.Search(r.Context(), q)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	items := make([]listingView, len(page.Hits))
	for i, h := range page.Hits {
		items[i] = viewOf(h.Listing)
		if q.Near != nil {
			d := math.Round(h.DistanceKM*1000) / 1000
			items[i].DistanceKM = &d
		}
	}
	next := ""
	if page.Next != nil {
		next = httpapi.EncodeCursor(page.Next)
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList(items, next))
}

// writeListing answers one listing, with access_set for its provider.
func (s *Service) writeListing(w http.ResponseWriter, r *http.Request, status int, l listing) {
	v := viewOf(l)
	if err := s.showAccess(r, &v); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, status, v)
}

// maxIDLen bounds the ids looked up; real ones are 36-character UUIDs.
const maxIDLen = 64

// listingID returns the {id} path value; one no listing can have is a 404
// at once, without a database round trip.
func listingID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if id == "" || len(id) > maxIDLen {
		httpapi.WriteError(w, r, errNotFound)
		return "", false
	}
	return id, true
}

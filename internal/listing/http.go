package listing

import (
	"errors"
	"math"
	"net/http"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
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
		{Pattern: "POST /listings", Rule: write, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleCreate), Body: listingBody{}},
		{Pattern: "GET /listings", Rule: read, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleSearch)},
		{Pattern: "GET /listings/{id}", Rule: read, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleGet)},
		{Pattern: "PUT /listings/{id}", Rule: write, Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleReplace), Body: listingBody{}},
		{Pattern: "PATCH /listings/{id}", Rule: write, Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handlePatch), Body: patchBody{}},
		{Pattern: "DELETE /listings/{id}", Rule: write, Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleDelete)},
	}
}

// listingView is a listing as the API shows it.
type listingView struct {
	ID          string       `json:"id"`
	ProviderID  string       `json:"provider_id"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	Address     addressView  `json:"address"`
	Location    locationView `json:"location"`
	Price       events.Money `json:"price"`
	Bedrooms    int          `json:"bedrooms"`
	Bathrooms   int          `json:"bathrooms"`
	TourFee     events.Money `json:"tour_fee"`
	TimeZone    string       `json:"time_zone"`
	Status      Status       `json:"status"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	// DistanceKM is set in answers to a search with near, rounded to the
	// metre.
	DistanceKM *float64 `json:"distance_km,omitempty"`
}

type addressView struct {
	Line1      string `json:"line1"`
	City       string `json:"city"`
	Region     string `json:"region"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

type locationView struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

func viewOf(l Listing) listingView {
	a := l.Address
	return listingView{
		ID: l.ID, ProviderID: l.ProviderID, Title: l.Title, Description: l.Description,
		Address:  addressView{Line1: a.Line1, City: a.City, Region: a.Region, PostalCode: a.PostalCode, Country: a.Country},
		Location: locationView{Lat: l.Location.Lat, Lng: l.Location.Lng},
		Price:    l.Price, Bedrooms: l.Bedrooms, Bathrooms: l.Bathrooms, TourFee: l.TourFee,
		TimeZone: l.TimeZone, Status: l.Status, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt,
	}
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
		writeError(w, r, err)
		return
	}
	l, err := s.Create(r.Context(), caller(r), d)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/listings/"+l.ID)
	httpapi.WriteJSON(w, http.StatusCreated, viewOf(l))
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	id, ok := listingID(w, r)
	if !ok {
		return
	}
	l, err := s.Get(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, viewOf(l))
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
		writeError(w, r, err)
		return
	}
	l, err := s.Replace(r.Context(), caller(r), id, d)
	if err != nil {
		writeError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, viewOf(l))
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
		writeError(w, r, err)
		return
	}
	l, err := s.Patch(r.Context(), caller(r), id, p)
	if err != nil {
		writeError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, viewOf(l))
}

func (s *Service) handleDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := listingID(w, r)
	if !ok {
		return
	}
	if err := s.Delete(r.Context(), caller(r), id); err != nil {
		writeError(w, r, err)
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
		writeError(w, r, err)
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

// maxIDLen bounds the ids looked up; real ones are 36-character UUIDs.
const maxIDLen = 64

// listingID returns the {id} path value; one no listing can have is a 404
// at once, without a database round trip.
func listingID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if id == "" || len(id) > maxIDLen {
		writeError(w, r, ErrNotFound)
		return "", false
	}
	return id, true
}

// writeError maps the domain's errors to problems; anything else goes to
// the shared mapping (which hides internal errors behind a request id).
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var invalid ValidationError
	switch {
	case errors.As(err, &invalid):
		fields := make([]httpapi.FieldError, len(invalid))
		for i, f := range invalid {
			fields[i] = httpapi.FieldError{Field: f.Field, Message: f.Message}
		}
		httpapi.WriteError(w, r, httpapi.Validation(fields...))
	case errors.Is(err, ErrNotFound):
		httpapi.WriteError(w, r, httpapi.NotFound("no listing with this id"))
	case errors.Is(err, ErrNotAllowed):
		httpapi.WriteError(w, r, httpapi.Forbidden("only a verified, active provider may create or change listings"))
	default:
		httpapi.WriteError(w, r, err)
	}
}

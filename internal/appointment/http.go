package appointment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/usertext"
	"github.com/openhouse/openhouse/internal/tourplan"
)

type appointmentView struct {
	ID            string    `json:"id"`
	TourID        string    `json:"tour_id"`
	RealtorID     string    `json:"realtor_id"`
	CustomerID    string    `json:"customer_id"`
	ListingIDs    []string  `json:"listing_ids"`
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
	Status        status    `json:"status" enum:"held,scheduled,confirmed,released" doc:"held: a hold placed at checkout or for a tour's new time, not yet booked."`
	ReleaseReason string    `json:"release_reason,omitempty" doc:"Released appointments and holds: why." enum:"cancelled,rescheduled,declined,released,expired,reassigned"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// appointmentQuery are GET /appointments's filters.
type appointmentQuery struct {
	RealtorID string `query:"realtor_id" doc:"Only this realtor's appointments."`
	Status    string `query:"status" enum:"held,scheduled,confirmed,released" doc:"Only appointments in this status."`
}

func viewOf(a appointment) appointmentView {
	ids := a.ListingIDs
	if ids == nil {
		ids = []string{}
	}
	return appointmentView{ID: a.ID, TourID: a.TourID, RealtorID: a.RealtorID, CustomerID: a.CustomerID, ListingIDs: ids,
		StartsAt: a.StartsAt, EndsAt: a.EndsAt, Status: a.Status, ReleaseReason: a.ReleaseReason, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

func caller(r *http.Request) auth.Principal {
	p, _ := auth.PrincipalFrom(r.Context())
	return p
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	var after cursor
	page, err := httpapi.ParsePageAfter(r, &after)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	f := filter{RealtorID: r.URL.Query().Get("realtor_id"), Status: status(r.URL.Query().Get("status"))}
	switch f.Status {
	case "", held, Scheduled, confirmed, Released:
	default:
		httpapi.WriteError(w, r, httpapi.BadRequest("status must be held, scheduled, confirmed or released"))
		return
	}
	list, err := s.store.List(r.Context(), f, after, page.Limit+1)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	list, next := httpapi.Paginate(list, page.Limit, func(last appointment) any { return cursor{CreatedAt: last.CreatedAt, ID: last.ID} })
	views := make([]appointmentView, len(list))
	for i, a := range list {
		views[i] = viewOf(a)
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList(views, next))
}

// visible loads the appointment if the caller is an admin, its realtor or
// its customer; to anyone else it does not exist.
func (s *Service) visible(w http.ResponseWriter, r *http.Request) (appointment, bool) {
	a, err := s.store.Appointment(r.Context(), r.PathValue("id"))
	p := caller(r)
	if err == nil && p.Role != auth.RoleAdmin && a.RealtorID != p.ID && a.CustomerID != p.ID {
		err = errNotFound
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return appointment{}, false
	}
	return a, true
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	if a, ok := s.visible(w, r); ok {
		httpapi.WriteJSON(w, http.StatusOK, viewOf(a))
	}
}

func (s *Service) handleConfirm(w http.ResponseWriter, r *http.Request) {
	s.realtorAction(w, r, s.Confirm)
}

func (s *Service) handleDecline(w http.ResponseWriter, r *http.Request) {
	s.realtorAction(w, r, s.Decline)
}

func (s *Service) realtorAction(w http.ResponseWriter, r *http.Request, act func(ctx context.Context, id, realtorID string) (appointment, error)) {
	a, ok := s.visible(w, r)
	if !ok {
		return
	}
	if caller(r).Role != auth.RoleRealtor {
		httpapi.WriteError(w, r, httpapi.Forbidden("only the assigned realtor can do this"))
		return
	}
	a, err := act(r.Context(), a.ID, caller(r).ID)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, viewOf(a))
}

// holdBody is POST /appointments/holds: a realtor held for a window, the
// body its callers send (clients.HoldRequest).
type holdBody clients.HoldRequest

// holdView is a hold as its callers see it: no realtor is named, since
// the caller (the cart) answers customers.
type holdView struct {
	HoldID    string    `json:"hold_id"`
	TourID    string    `json:"tour_id"`
	Status    status    `json:"status"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// holdConflict is a 409 of POST /appointments/holds.
type holdConflict struct {
	Type     string `json:"type" enum:"urn:openhouse:problem:slot-taken,urn:openhouse:problem:conflict"`
	Title    string `json:"title"`
	Status   int    `json:"status" enum:"409"`
	Detail   string `json:"detail"`
	Instance string `json:"instance,omitempty"`
}

// TypeSlotTaken is the problem type of a window nobody can be held for.
const typeSlotTaken = "urn:openhouse:problem:slot-taken"

// TypeShowingRule is the problem type of a hold refused by a home's
// showing rules (its most showings a day), with rule and listing_id.
const typeShowingRule = tourplan.TypeShowingRule

func (b holdBody) validate() []httpapi.FieldError {
	var errs []httpapi.FieldError
	bad := func(field, msg string) { errs = append(errs, httpapi.FieldError{Field: field, Message: msg}) }
	id := func(field, v string, required bool) {
		if (required || v != "") && !usertext.IsToken(v, 100) {
			bad(field, "must be 1 to 100 printable ASCII characters")
		}
	}
	id("hold_id", b.HoldID, true)
	id("tour_id", b.TourID, false)
	id("customer_id", b.CustomerID, true)
	if len(b.Stops) == 0 || len(b.Stops) > clients.MaxSearchPoints || len(b.ListingIDs) != len(b.Stops) {
		bad("stops", fmt.Sprintf("1 to %d homes, one per listing id", clients.MaxSearchPoints))
	}
	for i, p := range b.Stops {
		if !(p.Lat >= -90 && p.Lat <= 90 && p.Lng >= -180 && p.Lng <= 180) {
			bad(fmt.Sprintf("stops[%d]", i), "must be latitude -90 to 90 and longitude -180 to 180")
		}
	}
	for i, l := range b.ListingIDs {
		id(fmt.Sprintf("listing_ids[%d]", i), l, true)
	}
	if len(b.Limits) > len(b.ListingIDs) {
		bad("limits", "at most one per home")
	}
	for i, l := range b.Limits {
		field := fmt.Sprintf("limits[%d]", i)
		switch {
		case !slices.Contains(b.ListingIDs, l.ListingID):
			bad(field+".listing_id", "must be one of listing_ids")
		case l.Max < 1 || l.Max > 50:
			bad(field+".max", "must be 1 to 50")
		case l.From.Unix() <= 0 || !l.To.After(l.From) || l.To.Sub(l.From) > 25*time.Hour:
			bad(field, "from and to must bound one day")
		}
	}
	switch {
	case b.StartsAt.Unix() <= 0:
		bad("starts_at", "is required")
	case !b.EndsAt.After(b.StartsAt) || b.EndsAt.Sub(b.StartsAt) > 12*time.Hour:
		bad("ends_at", "must be after starts_at, by at most 12 hours")
	}
	return errs
}

func (s *Service) handlePlaceHold(w http.ResponseWriter, r *http.Request) {
	var b holdBody
	if err := httpapi.Decode(w, r, &b); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	if errs := b.validate(); len(errs) > 0 {
		httpapi.WriteError(w, r, httpapi.Validation(errs...))
		return
	}
	req := holdRequest{HoldID: b.HoldID, TourID: b.TourID, CustomerID: b.CustomerID,
		ListingIDs: b.ListingIDs, Stops: b.Stops, StartsAt: b.StartsAt, EndsAt: b.EndsAt}
	for _, l := range b.Limits {
		req.Limits = append(req.Limits, dayLimit{ListingID: l.ListingID, Max: l.Max, From: l.From, To: l.To})
	}
	a, err := s.PlaceHold(r.Context(), req)
	var full fullError
	switch {
	case errors.As(err, &full):
		p := httpapi.Unprocessable("that home has its most showings that day")
		p.Type, p.Title = typeShowingRule, "Showing rule"
		p.Extensions = map[string]any{"rule": "max_per_day", "listing_id": full.ListingID}
		httpapi.WriteError(w, r, p)
	case errors.Is(err, errNoRealtor):
		p := httpapi.Conflict("no realtor is free for that time")
		p.Type, p.Title = typeSlotTaken, "Slot taken"
		httpapi.WriteError(w, r, p)
	case errors.Is(err, errHoldConflict):
		httpapi.WriteError(w, r, httpapi.Conflict(err.Error()))
	case err != nil:
		httpapi.WriteError(w, r, err)
	default:
		httpapi.WriteJSON(w, http.StatusCreated, holdView{HoldID: a.ID, TourID: a.TourID, Status: a.Status,
			StartsAt: a.StartsAt, EndsAt: a.EndsAt, ExpiresAt: a.ExpiresAt})
	}
}

func (s *Service) handleReleaseHold(w http.ResponseWriter, r *http.Request) {
	err := s.ReleaseHold(r.Context(), r.PathValue("id"), reasonHoldReleased)
	if errors.Is(err, errHoldBooked) {
		httpapi.WriteError(w, r, httpapi.Conflict(err.Error()))
		return
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

package appointment

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

type appointmentView struct {
	ID            string    `json:"id"`
	TourID        string    `json:"tour_id"`
	RealtorID     string    `json:"realtor_id"`
	CustomerID    string    `json:"customer_id"`
	ListingIDs    []string  `json:"listing_ids"`
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
	Status        Status    `json:"status" enum:"scheduled,confirmed,released"`
	ReleaseReason string    `json:"release_reason,omitempty" doc:"Released appointments: why." enum:"cancelled,rescheduled,declined"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// appointmentQuery are GET /appointments's filters.
type appointmentQuery struct {
	RealtorID string `query:"realtor_id" doc:"Only this realtor's appointments."`
	Status    string `query:"status" enum:"scheduled,confirmed,released" doc:"Only appointments in this status."`
}

func viewOf(a Appointment) appointmentView {
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
	page, err := httpapi.ParsePage(r)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	var after Cursor
	if err := httpapi.DecodeCursor(page.Cursor, &after); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	f := Filter{RealtorID: r.URL.Query().Get("realtor_id"), Status: Status(r.URL.Query().Get("status"))}
	switch f.Status {
	case "", Scheduled, Confirmed, Released:
	default:
		httpapi.WriteError(w, r, httpapi.BadRequest("status must be scheduled, confirmed or released"))
		return
	}
	list, err := s.store.List(r.Context(), f, after, page.Limit+1)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	list, next := httpapi.Paginate(list, page.Limit, func(last Appointment) any { return Cursor{CreatedAt: last.CreatedAt, ID: last.ID} })
	views := make([]appointmentView, len(list))
	for i, a := range list {
		views[i] = viewOf(a)
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList(views, next))
}

// visible loads the appointment if the caller is an admin, its realtor or
// its customer; to anyone else it does not exist.
func (s *Service) visible(w http.ResponseWriter, r *http.Request) (Appointment, bool) {
	a, err := s.store.Appointment(r.Context(), r.PathValue("id"))
	p := caller(r)
	if err == nil && p.Role != auth.RoleAdmin && a.RealtorID != p.ID && a.CustomerID != p.ID {
		err = ErrNotFound
	}
	if err != nil {
		writeError(w, r, err)
		return Appointment{}, false
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

func (s *Service) realtorAction(w http.ResponseWriter, r *http.Request, act func(ctx context.Context, id, realtorID string) (Appointment, error)) {
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
		writeError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, viewOf(a))
}

func writeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		httpapi.WriteError(w, r, httpapi.NotFound("no such appointment"))
	case errors.Is(err, ErrNotAllowed):
		httpapi.WriteError(w, r, httpapi.Forbidden("only the assigned realtor can do this"))
	case errors.Is(err, ErrReleased):
		httpapi.WriteError(w, r, httpapi.Conflict("the appointment was released"))
	default:
		httpapi.WriteError(w, r, err)
	}
}

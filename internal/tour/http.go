package tour

import (
	"errors"
	"net/http"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/tourplan"
)

type stopView struct {
	ListingID string          `json:"listing_id"`
	Title     string          `json:"title" example:"Loop loft"`
	Location  events.GeoPoint `json:"location"`
	Arrive    time.Time       `json:"arrive" doc:"When the realtor arrives at this home."`
	Leave     time.Time       `json:"leave"`
	Approval  approval        `json:"approval,omitempty" enum:"pending,approved" doc:"Homes whose provider approves each showing: pending or approved."`
}

// declinedView is a home that left the tour before it happened.
type declinedView struct {
	ListingID string    `json:"listing_id"`
	Title     string    `json:"title"`
	Reason    string    `json:"reason" enum:"declined,no_answer" doc:"declined by its provider (or an admin), or not answered by the deadline."`
	At        time.Time `json:"at"`
}

// tourChangeErrors are the refusals of a change to a tour.
var tourChangeErrors = map[int]string{
	http.StatusForbidden:           "Only the tour's customer or an admin may change it (its realtor declines through appointments).",
	http.StatusConflict:            "The tour is already cancelled or completed.",
	http.StatusUnprocessableEntity: "The new time breaks a rule, or the tour starts too soon to be changed.",
}

// rescheduleConflict is a 409 of a reschedule: a time that is not open for
// the tour's homes (with alternatives), or a tour that is over.
type rescheduleConflict struct {
	Type         string               `json:"type" enum:"urn:openhouse:problem:slot-taken,urn:openhouse:problem:conflict"`
	Title        string               `json:"title"`
	Status       int                  `json:"status" enum:"409"`
	Detail       string               `json:"detail"`
	Instance     string               `json:"instance,omitempty"`
	Errors       []httpapi.FieldError `json:"errors,omitempty"`
	Alternatives []tourplan.Slot      `json:"alternatives,omitempty" doc:"slot-taken: up to 5 open times nearest to the asked one; the tour is unchanged."`
}

// rescheduleErrors are tourChangeErrors but the 409, which
// rescheduleAnswers describes with its body.
var rescheduleErrors = map[int]string{
	http.StatusForbidden: tourChangeErrors[http.StatusForbidden],
	http.StatusUnprocessableEntity: tourChangeErrors[http.StatusUnprocessableEntity] + " A visit that breaks a home's showing rules as they are now " +
		"(type `urn:openhouse:problem:showing-rule`, with `rule` naming the broken field of the listing's `showing` (mode, min_notice_minutes, windows, blackouts, max_per_day) " +
		"and `listing_id` the home), as a checkout is refused; the tour is unchanged.",
}

// rescheduleAnswers: a move to a time nobody can do is refused with the
// nearest open times.
var rescheduleAnswers = []httpapi.Answer{{Status: http.StatusConflict,
	Why: "The time is not open for the tour's homes (`slot-taken`, with `alternatives`; the tour is unchanged), or the tour is already cancelled or completed.", Body: rescheduleConflict{}}}

// tourQuery are GET /tours's filters.
type tourQuery struct {
	Status     string `query:"status" enum:"pending,awaiting_approval,scheduled,unassigned,cancelled,completed" doc:"Only tours in this status."`
	OrderID    string `query:"order_id" doc:"The tour of this checkout order (narrows the caller's own tours)." example:"ord-3f2a"`
	CustomerID string `query:"customer_id" doc:"Admins: only this customer's tours."`
	RealtorID  string `query:"realtor_id" doc:"Admins: only this realtor's tours."`
}

type tourView struct {
	ID           string        `json:"id" example:"7d0c2e9a-41d5-4b6f-a1e3-2a8c4d6f9b10"`
	CustomerID   string        `json:"customer_id"`
	ListingIDs   []string      `json:"listing_ids" doc:"The homes, in route order."`
	ScheduledAt  time.Time     `json:"scheduled_at"`
	EndsAt       time.Time     `json:"ends_at"`
	Status       status        `json:"status" enum:"pending,awaiting_approval,scheduled,unassigned,cancelled,completed"`
	RealtorID    *string       `json:"realtor_id" doc:"The assigned realtor; null until one is."`
	RealtorName  *string       `json:"realtor_name,omitempty" doc:"The assigned realtor's name."`
	PaymentID    string        `json:"payment_id"`
	OrderID      string        `json:"order_id"`
	TimeZone     string        `json:"time_zone" doc:"The homes' IANA time zone." example:"America/Chicago"`
	Stops        []stopView    `json:"stops"`
	CancelReason string        `json:"cancel_reason,omitempty" doc:"Cancelled tours: why." enum:"customer,admin,no_realtor,listing_removed,provider_suspended,declined"`
	Refund       *events.Money `json:"refund,omitempty" doc:"Cancelled tours: what was refunded."`
	// Approval: when the providers' answers are due, and the homes that
	// left.
	ApprovalDeadline *time.Time     `json:"approval_deadline,omitempty" doc:"awaiting_approval: homes not answered by then are declined."`
	Declined         []declinedView `json:"declined,omitempty" doc:"Homes that left the tour, each refunded its fee."`
	NoShowAt         *time.Time     `json:"no_show_at,omitempty" doc:"When the realtor marked the customer a no-show."`
	Version          int            `json:"version" doc:"Grows with every change."`
	CreatedAt        time.Time      `json:"created_at"`
	UpdatedAt        time.Time      `json:"updated_at"`
}

func viewOf(t tour) tourView {
	v := tourView{ID: t.ID, CustomerID: t.CustomerID, ListingIDs: t.ListingIDs(), ScheduledAt: t.ScheduledAt, EndsAt: t.EndsAt,
		Status: t.Status, PaymentID: t.PaymentID, OrderID: t.OrderID, TimeZone: t.TimeZone, CancelReason: t.CancelReason,
		Version: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, Stops: make([]stopView, len(t.Stops))}
	if t.RealtorID != "" {
		v.RealtorID = &t.RealtorID
	}
	if t.Status == statusCancelled {
		v.Refund = &t.Refund
	}
	for i, s := range t.Stops {
		v.Stops[i] = stopView{ListingID: s.ListingID, Title: s.Title, Location: s.Location, Arrive: s.Arrive, Leave: s.Leave, Approval: s.Approval}
	}
	if t.Status == statusAwaitingApproval {
		due := t.ApprovalDue
		v.ApprovalDeadline = &due
	}
	if !t.NoShowAt.IsZero() {
		at := t.NoShowAt
		v.NoShowAt = &at
	}
	for _, d := range t.Declined {
		v.Declined = append(v.Declined, declinedView{ListingID: d.ListingID, Title: d.Title, Reason: d.Reason, At: d.At})
	}
	return v
}

func caller(r *http.Request) auth.Principal {
	p, _ := auth.PrincipalFrom(r.Context())
	return p
}

// canSee: admins see every tour, customers their own, realtors the ones
// assigned to them. Everyone else is told the tour does not exist.
func canSee(p auth.Principal, t tour) bool {
	switch p.Role {
	case auth.RoleAdmin:
		return true
	case auth.RoleCustomer:
		return t.CustomerID == p.ID
	case auth.RoleRealtor:
		return t.RealtorID == p.ID
	}
	return false
}

// canChange: admins and the tour's customer reschedule and cancel; the
// assigned realtor sees the tour but declines through appointments.
func canChange(p auth.Principal, t tour) bool {
	return p.Role == auth.RoleAdmin || (p.Role == auth.RoleCustomer && t.CustomerID == p.ID)
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	var after cursor
	page, err := httpapi.ParsePageAfter(r, &after)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	// order_id narrows the caller's own scope below; it never widens it.
	f := filter{Status: status(q.Get("status")), OrderID: q.Get("order_id")}
	if len(f.OrderID) > 255 {
		httpapi.WriteError(w, r, httpapi.BadRequest("order_id must be at most 255 characters"))
		return
	}
	switch f.Status {
	case "", statusPending, statusAwaitingApproval, statusScheduled, statusUnassigned, statusCancelled, statusCompleted:
	default:
		httpapi.WriteError(w, r, httpapi.BadRequest("status must be pending, awaiting_approval, scheduled, unassigned, cancelled or completed"))
		return
	}
	switch p.Role {
	case auth.RoleAdmin:
		f.CustomerID, f.RealtorID = q.Get("customer_id"), q.Get("realtor_id")
	case auth.RoleCustomer:
		f.CustomerID = p.ID
	case auth.RoleRealtor:
		f.RealtorID = p.ID
	default:
		httpapi.WriteError(w, r, httpapi.Forbidden("providers have no tours"))
		return
	}
	tours, err := s.store.List(r.Context(), f, after, page.Limit+1)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	tours, next := httpapi.Paginate(tours, page.Limit, func(last tour) any { return cursor{ScheduledAt: last.ScheduledAt, ID: last.ID} })
	views, err := s.views(r.Context(), tours)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList(views, next))
}

// visible loads the tour the path names if the caller may see it.
func (s *Service) visible(w http.ResponseWriter, r *http.Request) (tour, bool) {
	t, err := s.store.Get(r.Context(), r.PathValue("id"))
	if err == nil && !canSee(caller(r), t) {
		err = errNotFound
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return tour{}, false
	}
	return t, true
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	if t, ok := s.visible(w, r); ok {
		s.writeTour(w, r, t)
	}
}

// handleSlots answers GET /tours/{id}/slots: the open starts the tour
// could move to, for its customer or an admin.
func (s *Service) handleSlots(w http.ResponseWriter, r *http.Request) {
	q, field, err := tourplan.ParseSlotsQuery(r.URL.Query())
	if err != nil {
		httpapi.WriteError(w, r, httpapi.BadQueryParam(field, err.Error()))
		return
	}
	t, ok := s.visible(w, r)
	if !ok {
		return
	}
	if !canChange(caller(r), t) {
		httpapi.WriteError(w, r, httpapi.Forbidden("only the customer or an admin can move a tour"))
		return
	}
	slots, err := s.Slots(r.Context(), t, q)
	if errors.Is(err, clients.ErrUnavailable) {
		httpapi.WriteError(w, r, httpapi.Unavailable("open slots cannot be read now; try again shortly"))
		return
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, slots)
}

type rescheduleRequest struct {
	ScheduledAt *time.Time `json:"scheduled_at" required:"true" doc:"The new start." example:"2026-12-03T15:00:00-06:00"`
}

func (r rescheduleRequest) Validate() []httpapi.FieldError {
	if r.ScheduledAt == nil {
		return []httpapi.FieldError{{Field: "scheduled_at", Message: "is required"}}
	}
	return nil
}

func (s *Service) handleReschedule(w http.ResponseWriter, r *http.Request) {
	var req rescheduleRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	t, ok := s.visible(w, r)
	if !ok {
		return
	}
	if !canChange(caller(r), t) {
		httpapi.WriteError(w, r, httpapi.Forbidden("only the customer or an admin can reschedule a tour"))
		return
	}
	t, err := s.Reschedule(r.Context(), t.ID, *req.ScheduledAt)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	s.writeTour(w, r, t)
}

func (s *Service) handleCancel(w http.ResponseWriter, r *http.Request) {
	t, ok := s.visible(w, r)
	if !ok {
		return
	}
	p := caller(r)
	if !canChange(p, t) {
		httpapi.WriteError(w, r, httpapi.Forbidden("only the customer or an admin can cancel a tour"))
		return
	}
	by := cancelByCustomer
	if p.Role == auth.RoleAdmin {
		by = cancelByAdmin
	}
	t, err := s.Cancel(r.Context(), t.ID, by, p.ID)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	s.writeTour(w, r, t)
}

// writeTour answers 200 with one tour, its realtor's name included.
func (s *Service) writeTour(w http.ResponseWriter, r *http.Request, t tour) {
	v, err := s.view(r.Context(), t)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, v)
}

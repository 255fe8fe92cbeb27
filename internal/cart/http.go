package cart

import (
	"net/http"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/idempotency"
	"github.com/openhouse/openhouse/internal/tourplan"
)

type itemView struct {
	ListingID string       `json:"listing_id"`
	Title     string       `json:"title"`
	TourFee   events.Money `json:"tour_fee"`
	AddedAt   time.Time    `json:"added_at"`
}

type cartView struct {
	CustomerID string       `json:"customer_id,omitempty" doc:"Admins' list: whose cart."`
	Items      []itemView   `json:"items"`
	Total      events.Money `json:"total" doc:"The sum of the tour fees."`
	UpdatedAt  *time.Time   `json:"updated_at,omitempty" doc:"Admins' list: the last change."`
}

func viewOf(c Cart, withOwner bool) (cartView, error) {
	total, err := c.Total()
	if err != nil {
		return cartView{}, err
	}
	v := cartView{Items: make([]itemView, len(c.Items)), Total: total}
	for i, it := range c.Items {
		v.Items[i] = itemView{ListingID: it.ListingID, Title: it.Title, TourFee: it.TourFee, AddedAt: it.AddedAt}
	}
	if withOwner {
		v.CustomerID = c.CustomerID
		if !c.UpdatedAt.IsZero() {
			v.UpdatedAt = &c.UpdatedAt
		}
	}
	return v, nil
}

func customerID(r *http.Request) string {
	p, _ := auth.PrincipalFrom(r.Context())
	return p.ID
}

func (s *Service) writeCart(w http.ResponseWriter, r *http.Request, c Cart, err error) {
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	v, err := viewOf(c, false)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, v)
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	c, err := s.Cart(r.Context(), customerID(r))
	s.writeCart(w, r, c, err)
}

type addRequest struct {
	ListingID string `json:"listing_id" example:"01936b2e-7c4a-7d10-9b3e-5f2a1c0d4e6f"`
}

func (s *Service) handleAdd(w http.ResponseWriter, r *http.Request) {
	var req addRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	c, err := s.Add(r.Context(), customerID(r), req.ListingID)
	s.writeCart(w, r, c, err)
}

func (s *Service) handleRemove(w http.ResponseWriter, r *http.Request) {
	c, err := s.Remove(r.Context(), customerID(r), r.PathValue("listing_id"))
	s.writeCart(w, r, c, err)
}

func (s *Service) handleCheckout(w http.ResponseWriter, r *http.Request) {
	var req CheckoutRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	answer, err := s.Checkout(r.Context(), customerID(r), r.Header.Get("Idempotency-Key"), req)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	idempotency.Write(w, answer)
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	var after string
	page, err := httpapi.ParsePageAfter(r, &after)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	carts, err := s.store.Carts(r.Context(), after, page.Limit+1)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	carts, next := httpapi.Paginate(carts, page.Limit, func(last Cart) any { return last.CustomerID })
	views := make([]cartView, 0, len(carts))
	for _, c := range carts {
		v, err := viewOf(c, true)
		if err != nil {
			httpapi.WriteError(w, r, err)
			return
		}
		views = append(views, v)
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList(views, next))
}

func (s *Service) handleSlots(w http.ResponseWriter, r *http.Request) {
	q, field, err := tourplan.ParseSlotsQuery(r.URL.Query())
	if err != nil {
		httpapi.WriteError(w, r, httpapi.BadQueryParam(field, err.Error()))
		return
	}
	slots, err := s.Slots(r.Context(), customerID(r), q)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, slots)
}

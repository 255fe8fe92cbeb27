package tour

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// answerErrors are the refusals of an answer to an approval request.
var answerErrors = map[int]string{
	http.StatusNotFound: "No such tour, or the home is not in it, or it is another provider's home.",
	http.StatusConflict: "The deadline has passed (the home was declined for want of an answer), the home was answered the other way, it needs no approval, or the tour is cancelled or completed.",
}

// answerRoutes are the provider's side of tours: the approvals inbox and
// the answers. Who may answer is decided per home (canAnswer).
func (s *Service) answerRoutes() []auth.Route {
	answerers := auth.Users(auth.RoleProvider, auth.RoleAdmin)
	return []auth.Route{
		{Pattern: "GET /tours/approvals", Rule: answerers, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleApprovals),
			Doc: httpapi.Doc{Summary: "The approvals inbox: homes of tours waiting for their provider's answer", Reply: httpapi.List[approvalView]{},
				Description: "A provider's homes (every provider's for admins) in tours whose status is `awaiting_approval`, in start order, one item per home, with the deadline after which an unanswered home is declined. Never the customer's identity."}},
		{Pattern: "POST /tours/{id}/stops/{listing_id}/approve", Rule: answerers, Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleApprove),
			Doc: httpapi.Doc{Summary: "Approve showing a home in a tour", Reply: tourView{}, Errors: answerErrors,
				Description: "The home's provider or an admin. Approving again answers the same tour. Once every home is approved the tour goes on as any other: scheduled (and the customer told) when its realtor is booked."}},
		{Pattern: "POST /tours/{id}/stops/{listing_id}/decline", Rule: answerers, Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleDecline),
			Doc: httpapi.Doc{Summary: "Decline showing a home in a tour", Reply: tourView{}, Errors: answerErrors,
				Description: "The home's provider or an admin. The home leaves the tour, its fee is refunded once, the route is planned again from the same start and the customer is told; with no home left the tour is cancelled (`cancel_reason` `declined`) and refunded in full. Declining again answers the same tour."}},
	}
}

// approvalView is one home of the approvals inbox.
type approvalView struct {
	TourID      string    `json:"tour_id"`
	ListingID   string    `json:"listing_id"`
	Title       string    `json:"title" example:"Loop loft"`
	Approval    approval  `json:"approval" enum:"pending,approved" doc:"pending: waiting for an answer; approved: answered, the tour waits for other homes."`
	Arrive      time.Time `json:"arrive" doc:"When the visit of this home starts."`
	Leave       time.Time `json:"leave"`
	ScheduledAt time.Time `json:"scheduled_at" doc:"When the tour starts."`
	TimeZone    string    `json:"time_zone" example:"America/Chicago"`
	Deadline    time.Time `json:"deadline" doc:"After this the home is declined unless answered."`
}

// canAnswer: an admin answers for any home, a provider for theirs; false
// means the tour or home is not the caller's to see (404).
func canAnswer(p auth.Principal, t tour, listingID string) bool {
	if p.Role == auth.RoleAdmin {
		return true
	}
	if p.Role != auth.RoleProvider {
		return false
	}
	mine := func(s stop) bool { return s.ListingID == listingID && s.ProviderID == p.ID }
	if slices.ContainsFunc(t.Stops, mine) {
		return true
	}
	return slices.ContainsFunc(t.Declined, func(d declinedStop) bool { return mine(d.stop) })
}

func (s *Service) handleApprovals(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	var after cursor
	page, err := httpapi.ParsePageAfter(r, &after)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	provider := p.ID
	if p.Role == auth.RoleAdmin {
		provider = ""
	}
	tours, err := s.inbox(r.Context(), provider, after, page.Limit+1)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	tours, next := httpapi.Paginate(tours, page.Limit, func(last tour) any { return cursor{ScheduledAt: last.ScheduledAt, ID: last.ID} })
	items := []approvalView{}
	for _, t := range tours {
		for _, st := range t.Stops {
			if inInbox(st, provider) {
				items = append(items, approvalView{TourID: t.ID, ListingID: st.ListingID, Title: st.Title, Approval: st.Approval,
					Arrive: st.Arrive, Leave: st.Leave, ScheduledAt: t.ScheduledAt, TimeZone: t.TimeZone, Deadline: t.ApprovalDue})
			}
		}
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList(items, next))
}

// inInbox reports whether stop st is in the inbox of provider (every
// provider's for ""): a home that needs approval.
func inInbox(st stop, provider string) bool {
	return st.Approval != approvalNone && (provider == "" || st.ProviderID == provider)
}

// inbox is up to limit tours after the cursor awaiting approval with a
// home in provider's inbox. The store finds the tours with any of the
// provider's homes, some of which need no approval; those are skipped
// here, reading on, so that no page comes back empty ahead of the
// provider's own homes.
func (s *Service) inbox(ctx context.Context, provider string, after cursor, limit int) ([]tour, error) {
	var out []tour
	for len(out) < limit {
		batch, err := s.store.AwaitingApproval(ctx, provider, after, limit)
		if err != nil {
			return nil, err
		}
		for _, t := range batch {
			if slices.ContainsFunc(t.Stops, func(st stop) bool { return inInbox(st, provider) }) {
				out = append(out, t)
			}
		}
		if len(batch) < limit {
			break
		}
		last := batch[len(batch)-1]
		after = cursor{ScheduledAt: last.ScheduledAt, ID: last.ID}
	}
	return out[:min(len(out), limit)], nil
}

func (s *Service) handleApprove(w http.ResponseWriter, r *http.Request) {
	s.handleAnswer(w, r, s.Approve)
}

func (s *Service) handleDecline(w http.ResponseWriter, r *http.Request) {
	s.handleAnswer(w, r, s.Decline)
}

func (s *Service) handleAnswer(w http.ResponseWriter, r *http.Request, answer func(ctx context.Context, tourID, listingID, actor string) (tour, error)) {
	listingID := r.PathValue("listing_id")
	t, err := s.store.Get(r.Context(), r.PathValue("id"))
	if err == nil && !canAnswer(caller(r), t, listingID) {
		err = errNotFound
	}
	if err == nil {
		t, err = answer(r.Context(), t.ID, listingID, caller(r).ID)
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	s.writeTour(w, r, t)
}

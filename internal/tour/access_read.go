package tour

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/audit"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// AccessReader reads a home's access instructions from the listing
// service, which keeps them sealed (clients.Listings). errNotFound: none
// set.
type AccessReader interface {
	Access(ctx context.Context, listingID string) (clients.ListingAccess, error)
}

// accessItem is one home's access, open to the realtor now.
type accessItem struct {
	ListingID    string    `json:"listing_id"`
	Title        string    `json:"title" example:"Loop loft"`
	Instructions string    `json:"instructions" example:"Lockbox on the side gate."`
	Code         string    `json:"code" example:"4821"`
	OpensAt      time.Time `json:"opens_at"`
	ClosesAt     time.Time `json:"closes_at"`
}

// Access answers the assigned realtor the access of the tour's homes whose
// window is open now (AccessNotOpenError otherwise). Anyone else, and a
// realtor the tour was taken from, gets errNotFound. Each answer is
// recorded in the audit log (which homes, never what they say); a read
// that cannot be recorded is refused.
func (s *Service) Access(ctx context.Context, id string, p auth.Principal) ([]accessItem, error) {
	t, err := s.store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Role != auth.RoleRealtor || !t.AccessFor(p.ID) {
		return nil, errNotFound
	}
	now := s.cfg.Clock.Now()
	open, err := t.OpenAccess(now, s.cfg.AccessLead)
	if err != nil {
		return nil, err
	}
	items := []accessItem{}
	read := []string{}
	for _, st := range open {
		a, err := s.access.Access(ctx, st.ListingID)
		if errors.Is(err, clients.ErrNotFound) {
			continue // no access set for this home
		}
		if err != nil {
			return nil, peerFailure(err)
		}
		opens, closes, _ := t.AccessWindow(st.ListingID, s.cfg.AccessLead)
		items = append(items, accessItem{ListingID: st.ListingID, Title: st.Title, Instructions: a.Instructions, Code: a.Code,
			OpensAt: opens.UTC(), ClosesAt: closes.UTC()})
		read = append(read, st.ListingID)
	}
	ev, err := audit.Record(ctx, "tour", audit.Change{Action: "tour.access.read", ResourceType: "tour", ResourceID: t.ID,
		After: accessRead{RealtorID: p.ID, ListingIDs: read}}, now)
	if err != nil {
		return nil, err
	}
	if err := s.store.Append(ctx, ev); err != nil {
		return nil, err
	}
	return items, nil
}

// accessRead is an access read in the audit log: who read which homes.
type accessRead struct {
	RealtorID  string   `json:"realtor_id"`
	ListingIDs []string `json:"listing_ids"`
}

// accessList is GET /tours/{id}/access's answer.
type accessList struct {
	Items []accessItem `json:"items"`
}

// accessNotOpen is the 409 of a read outside the window.
type accessNotOpen struct {
	Type     string               `json:"type" enum:"urn:openhouse:problem:conflict"`
	Title    string               `json:"title"`
	Status   int                  `json:"status" enum:"409"`
	Detail   string               `json:"detail"`
	Instance string               `json:"instance,omitempty"`
	Errors   []httpapi.FieldError `json:"errors,omitempty"`
	OpensAt  *time.Time           `json:"opens_at,omitempty" doc:"When the first home's access opens; absent once the tour is over."`
}

func (s *Service) accessRoute() auth.Route {
	return auth.Route{Pattern: "GET /tours/{id}/access", Rule: auth.AnyUser(), Owner: auth.OwnerOnly, Handler: http.HandlerFunc(s.handleAccess),
		Doc: httpapi.Doc{Summary: "The homes' access instructions (the assigned realtor, in the window)", Reply: accessList{},
			Description: "Only the tour's assigned realtor, from `OPENHOUSE_ACCESS_LEAD` (default 30 min) before their stop at a home until the tour ends; items are the homes open now that have access set. Anyone else: 404. Every read is in the audit log.",
			Answers:     []httpapi.Answer{{Status: http.StatusConflict, Why: "No home's access is open yet (`opens_at` says when), or the tour is over.", Body: accessNotOpen{}}}}}
}

func (s *Service) handleAccess(w http.ResponseWriter, r *http.Request) {
	items, err := s.Access(r.Context(), r.PathValue("id"), caller(r))
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, accessList{Items: items})
}

// tellAccessOpened tells each realtor once, per tour and start, that the
// access of their tour's homes opened: a durable timer over the tours'
// rows, swept with the service's clock, so it fires once across restarts
// and instances. The event carries no access.
func (s *Service) tellAccessOpened(ctx context.Context, now time.Time) error {
	due, err := s.store.AccessDue(ctx, now, s.cfg.AccessLead, 500)
	if err != nil {
		return err
	}
	for _, d := range due {
		_, err := s.store.NoteAccessOpened(ctx, d.ID, now, func(t tour) (*bus.Event, error) {
			if !t.AccessOpenNow(now, s.cfg.AccessLead) {
				return nil, nil
			}
			opens := t.AccessOpensAt(s.cfg.AccessLead)
			ev, err := s.event(ctx, events.TypeTourAccessOpened, t, func(e events.Tour) any {
				return events.TourAccessOpened{Tour: e, OpensAt: opens.UTC(), ClosesAt: t.EndsAt.UTC()}
			})
			return &ev, err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

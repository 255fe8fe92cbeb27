package tour

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// Changing a home's showing rules never drops the tours booked under the
// old ones: they go on, and the provider sees which of them the rules as
// they are now would refuse (GET /tours/conflicts), to answer or keep
// them. The minimum notice is about when a visit is booked, so a booked
// visit never breaks it.

// conflict is a booked visit of a home that breaks its showing rules as
// they are now.
type conflict struct {
	Tour tour
	Stop stop
	// Rule names the first rule broken (tourplan's Rule names), Message
	// says it in words.
	Rule, Message string
}

// findConflicts are the visits of the homes accepted by home, among tours,
// that break rules: a rule of the visit itself (mode, windows, blackouts),
// or, on a day with more showings of the home than its most, the visits
// booked after the first that many. By arrival.
func findConflicts(tours []tour, rules homeRules, home func(stop) bool) []conflict {
	type visit struct {
		t  tour
		st stop
	}
	var out []conflict
	perDay := map[[2]string][]visit{}
	for _, t := range tours {
		loc, err := time.LoadLocation(t.TimeZone)
		if err != nil || !t.Active() {
			continue
		}
		for _, st := range t.Stops {
			r, ok := rules[st.ListingID]
			if !ok || !home(st) {
				continue
			}
			if rule := tourplan.VisitBreaks(r, st.Arrive, st.Leave, loc, time.Time{}); rule != "" {
				out = append(out, conflict{Tour: t, Stop: st, Rule: rule, Message: tourplan.RuleMessage(rule, r)})
				continue
			}
			if r.MaxPerDay > 0 {
				k := [2]string{st.ListingID, tourplan.LocalDay(st.Arrive, loc)}
				perDay[k] = append(perDay[k], visit{t, st})
			}
		}
	}
	for k, vs := range perDay {
		r := rules[k[0]]
		if len(vs) <= r.MaxPerDay {
			continue
		}
		slices.SortFunc(vs, func(a, b visit) int {
			return cmp.Or(a.t.CreatedAt.Compare(b.t.CreatedAt), strings.Compare(a.t.ID, b.t.ID))
		})
		for _, v := range vs[r.MaxPerDay:] {
			out = append(out, conflict{Tour: v.t, Stop: v.st, Rule: tourplan.RuleMaxPerDay, Message: tourplan.RuleMessage(tourplan.RuleMaxPerDay, r)})
		}
	}
	slices.SortFunc(out, func(a, b conflict) int {
		return cmp.Or(a.Stop.Arrive.Compare(b.Stop.Arrive), strings.Compare(a.Tour.ID, b.Tour.ID), strings.Compare(a.Stop.ListingID, b.Stop.ListingID))
	})
	return out
}

// Conflicts are the active tours yet to start that visit a provider's
// homes (or the one home listingID, of that provider; any provider's for
// ""), whose visits of those homes break the homes' showing rules as the
// listing service holds them now.
func (s *Service) Conflicts(ctx context.Context, providerID, listingID string) ([]conflict, error) {
	now := s.cfg.Clock.Now()
	var (
		ids []string
		err error
	)
	if listingID != "" {
		ids, err = s.store.ActiveWithListing(ctx, listingID, now)
	} else {
		ids, err = s.store.ActiveWithProvider(ctx, providerID, now)
	}
	if err != nil {
		return nil, err
	}
	home := func(st stop) bool {
		return (listingID == "" || st.ListingID == listingID) && (providerID == "" || st.ProviderID == providerID)
	}
	var (
		tours  []tour
		listed []string
	)
	for _, id := range ids {
		t, err := s.store.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		tours = append(tours, t)
		for _, st := range t.Stops {
			if home(st) && !slices.Contains(listed, st.ListingID) {
				listed = append(listed, st.ListingID)
			}
		}
	}
	rules, err := s.rulesOf(ctx, listed)
	if err != nil {
		return nil, err
	}
	return findConflicts(tours, rules, home), nil
}

// conflictsQuery is GET /tours/conflicts's parameters.
type conflictsQuery struct {
	ListingID string `query:"listing_id" doc:"Only this home's tours; required for admins." example:"lst_123"`
	Limit     int    `query:"limit" doc:"1 to 100; default 20." example:"20"`
	Cursor    string `query:"cursor" doc:"The next_cursor of the previous page."`
}

// conflictView is a Conflict as the provider sees it: the visit, never the
// customer.
type conflictView struct {
	TourID      string    `json:"tour_id"`
	ListingID   string    `json:"listing_id"`
	Title       string    `json:"title" example:"Loop loft"`
	Status      status    `json:"status" enum:"pending,awaiting_approval,scheduled,unassigned"`
	Arrive      time.Time `json:"arrive" doc:"When the visit of this home starts."`
	Leave       time.Time `json:"leave"`
	ScheduledAt time.Time `json:"scheduled_at" doc:"When the tour starts."`
	TimeZone    string    `json:"time_zone" example:"America/Chicago"`
	Rule        string    `json:"rule" enum:"mode,windows,blackouts,max_per_day" doc:"The field of the listing's showing the visit breaks."`
	Message     string    `json:"message" doc:"The rule in words." example:"the visit is outside the home's showing windows"`
}

// conflictCursor is a position in the conflicts' order.
type conflictCursor struct {
	Arrive    time.Time `json:"a"`
	TourID    string    `json:"t"`
	ListingID string    `json:"l"`
}

func (c conflictCursor) before(x conflict) bool {
	return cmp.Or(c.Arrive.Compare(x.Stop.Arrive), strings.Compare(c.TourID, x.Tour.ID), strings.Compare(c.ListingID, x.Stop.ListingID)) < 0
}

func (s *Service) conflictsRoute() auth.Route {
	return auth.Route{Pattern: "GET /tours/conflicts", Rule: auth.Users(auth.RoleProvider, auth.RoleAdmin), Owner: auth.OwnedByCaller,
		Handler: http.HandlerFunc(s.handleConflicts),
		Doc: httpapi.Doc{Summary: "Booked tours that break their homes' showing rules as they are now", Reply: httpapi.List[conflictView]{}, Params: conflictsQuery{},
			Description: "A provider's homes (one with `listing_id`; admins name the home) in active tours yet to start whose visit breaks the home's showing rules as they are now: " +
				"its mode, windows or blackouts, or one showing too many on a day (the later booked). Changing the rules keeps these tours; this is where the provider sees them. " +
				"By visit, one item per home; never the customer's identity."}}
}

func (s *Service) handleConflicts(w http.ResponseWriter, r *http.Request) {
	for name, vs := range r.URL.Query() {
		if (name != "listing_id" && name != "limit" && name != "cursor") || len(vs) > 1 {
			httpapi.WriteError(w, r, httpapi.BadQueryParam(name, "is not a parameter of this query, or is given twice"))
			return
		}
	}
	var after conflictCursor
	page, err := httpapi.ParsePageAfter(r, &after)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	p := caller(r)
	provider, listingID := p.ID, r.URL.Query().Get("listing_id")
	if p.Role == auth.RoleAdmin {
		provider = ""
		if listingID == "" {
			httpapi.WriteError(w, r, httpapi.BadQueryParam("listing_id", "is required for admins"))
			return
		}
	}
	found, err := s.Conflicts(r.Context(), provider, listingID)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	if page.Cursor != "" {
		found = slices.DeleteFunc(found, func(c conflict) bool { return !after.before(c) })
	}
	found, next := httpapi.Paginate(found, page.Limit, func(last conflict) any {
		return conflictCursor{Arrive: last.Stop.Arrive, TourID: last.Tour.ID, ListingID: last.Stop.ListingID}
	})
	items := make([]conflictView, len(found))
	for i, c := range found {
		items[i] = conflictView{TourID: c.Tour.ID, ListingID: c.Stop.ListingID, Title: c.Stop.Title, Status: c.Tour.Status,
			Arrive: c.Stop.Arrive, Leave: c.Stop.Leave, ScheduledAt: c.Tour.ScheduledAt, TimeZone: c.Tour.TimeZone, Rule: c.Rule, Message: c.Message}
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList(items, next))
}

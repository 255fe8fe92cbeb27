package listing

import (
	"context"
	"net/http"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// Activity is listing id's activity for p: its provider or an admin; for
// anyone else, as for a listing that does not exist, errNotFound.
func (s *Service) Activity(ctx context.Context, id string, p auth.Principal) (activityReport, error) {
	provider, zone, err := s.store.ListingOwner(ctx, id)
	if err != nil {
		return activityReport{}, err
	}
	if p.Role != auth.RoleAdmin && (p.Role != auth.RoleProvider || p.ID != provider) {
		return activityReport{}, errNotFound
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	showings, err := s.store.Showings(ctx, id)
	if err != nil {
		return activityReport{}, err
	}
	opinions, err := s.store.Opinions(ctx, id)
	if err != nil {
		return activityReport{}, err
	}
	return buildActivity(showings, opinions, s.cfg.Clock.Now(), loc), nil
}

// activityRoute is the home's side of its tours: what its provider may
// know, never who visited.
func (s *Service) activityRoute() auth.Route {
	return auth.Route{Pattern: "GET /listings/{id}/activity", Rule: auth.Users(auth.RoleProvider, auth.RoleAdmin), Owner: auth.OwnedByPath,
		Handler: http.HandlerFunc(s.handleActivity),
		Doc: httpapi.Doc{Summary: "A home's showings and feedback (its provider, admins)", Reply: activityView{},
			Description: "Showings by status and by week (from Monday, in the home's time zone), the upcoming ones (times and status only), and the visitors' feedback: counts, average ratings, and the items newest first, each from the `buyer` or the `agent`. Never a customer's identity or contact. Kept from the tour service's events, so a just-made change shows within moments. Another provider: 404.",
			Errors:      map[int]string{http.StatusNotFound: "No such listing, or another provider's."}}}
}

// activityView is GET /listings/{id}/activity's answer.
type activityView struct {
	Showings showingsView        `json:"showings"`
	Upcoming []upcomingView      `json:"upcoming" doc:"Showings still to happen, soonest first (at most 50)."`
	Feedback feedbackSummaryView `json:"feedback"`
}

type showingsView struct {
	Total    int            `json:"total"`
	ByStatus map[string]int `json:"by_status" doc:"Showings per status: pending, awaiting_approval, scheduled, unassigned, cancelled, completed, declined (the home left the tour), no_show."`
	ByWeek   []weekView     `json:"by_week" doc:"Showings per week, oldest first; weeks without showings are left out."`
}

type weekView struct {
	Week     string         `json:"week" doc:"The week's Monday in the home's time zone." example:"2026-11-23"`
	Total    int            `json:"total"`
	ByStatus map[string]int `json:"by_status"`
}

type upcomingView struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Status string    `json:"status" enum:"pending,awaiting_approval,scheduled,unassigned"`
}

type feedbackSummaryView struct {
	Count         int                          `json:"count"`
	AverageRating *float64                     `json:"average_rating" doc:"The mean rating to two decimals; null without feedback." example:"4.25"`
	ByAuthor      map[string]authorSummaryView `json:"by_author" doc:"Count and average per author: buyer, agent."`
	Items         []opinionView                `json:"items" doc:"Newest first (at most 100)."`
}

type authorSummaryView struct {
	Count         int      `json:"count"`
	AverageRating *float64 `json:"average_rating"`
}

type opinionView struct {
	Author       author    `json:"author" enum:"buyer,agent" doc:"The tour's customer (buyer) or realtor (agent); never who."`
	Rating       int       `json:"rating" minimum:"1" maximum:"5"`
	Interest     string    `json:"interest,omitempty" enum:"none,low,medium,high"`
	PriceOpinion string    `json:"price_opinion,omitempty" enum:"low,right,high"`
	Comment      string    `json:"comment,omitempty"`
	At           time.Time `json:"at" doc:"When it was given (or last replaced)."`
}

func activityViewOf(a activityReport) activityView {
	v := activityView{
		Showings: showingsView{Total: a.Total, ByStatus: a.ByStatus, ByWeek: []weekView{}},
		Upcoming: []upcomingView{},
		Feedback: feedbackSummaryView{Count: a.Feedback.Count, AverageRating: a.Feedback.Average, ByAuthor: map[string]authorSummaryView{},
			Items: []opinionView{}},
	}
	for _, w := range a.ByWeek {
		v.Showings.ByWeek = append(v.Showings.ByWeek, weekView{Week: w.Week.Format(time.DateOnly), Total: w.Total, ByStatus: w.ByStatus})
	}
	for _, s := range a.Upcoming {
		v.Upcoming = append(v.Upcoming, upcomingView{Start: s.Start, End: s.End, Status: s.Status})
	}
	for author, s := range a.Feedback.ByAuthor {
		v.Feedback.ByAuthor[string(author)] = authorSummaryView{Count: s.Count, AverageRating: s.Average}
	}
	for _, o := range a.Feedback.Items {
		v.Feedback.Items = append(v.Feedback.Items, opinionView{Author: o.Author, Rating: o.Rating, Interest: o.Interest,
			PriceOpinion: o.PriceOpinion, Comment: o.Comment, At: o.At})
	}
	return v
}

func (s *Service) handleActivity(w http.ResponseWriter, r *http.Request) {
	id, ok := listingID(w, r)
	if !ok {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	a, err := s.Activity(r.Context(), id, p)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, activityViewOf(a))
}

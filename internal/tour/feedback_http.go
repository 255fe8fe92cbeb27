package tour

import (
	"net/http"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// feedbackErrors are the refusals of feedback.
var feedbackErrors = map[int]string{
	http.StatusNotFound: "No such tour, the caller is not its customer or assigned realtor, or the home is not on its route.",
	http.StatusConflict: "The tour has not ended (or did not take place), or the customer was marked a no-show.",
}

// feedbackRoutes are the visit's aftermath: feedback per home from the
// tour's customer and realtor, and the realtor's no-show. Only those two
// see a tour's feedback here; anyone else is told it does not exist. The
// home's provider reads it, anonymised, in the listing's activity.
func (s *Service) feedbackRoutes() []auth.Route {
	return []auth.Route{
		{Pattern: "GET /tours/{id}/feedback", Rule: auth.AnyUser(), Owner: auth.OwnerOnly, Handler: http.HandlerFunc(s.handleMyFeedback),
			Doc: httpapi.Doc{Summary: "The caller's feedback on a tour's homes (its customer or assigned realtor)", Reply: myFeedbackView{},
				Description: "Whether the caller is asked for feedback (once the tour completed; the customer's request is withdrawn by a no-show), and what they said of each home. Anyone else: 404.",
				Errors:      map[int]string{http.StatusNotFound: feedbackErrors[http.StatusNotFound]}}},
		{Pattern: "PUT /tours/{id}/feedback/{listing_id}", Rule: auth.AnyUser(), Owner: auth.OwnerOnly, Handler: http.HandlerFunc(s.handlePutFeedback),
			Body: feedbackBody{},
			Doc: httpapi.Doc{Summary: "Give feedback on a home of a tour (its customer or assigned realtor)", Reply: feedbackView{}, Errors: feedbackErrors,
				Description: "Once the tour ended. One feedback per author and home: the same author again replaces it (the same body twice is one record). The home's provider sees it in the listing's activity as from `buyer` or `agent`, never who. Anyone else: 404."}},
		{Pattern: "POST /tours/{id}/no-show", Rule: auth.AnyUser(), Owner: auth.OwnerOnly, Handler: http.HandlerFunc(s.handleNoShow),
			Doc: httpapi.Doc{Summary: "Mark the customer a no-show (the tour's assigned realtor)", Reply: tourView{},
				Description: "From the tour's start on. The customer's feedback request is withdrawn. Marking again answers the same tour. Anyone else: 404.",
				Errors: map[int]string{http.StatusNotFound: "No such tour, or the caller is not its assigned realtor.",
					http.StatusConflict: "The tour has not started yet."}}},
	}
}

// feedbackBody is PUT /tours/{id}/feedback/{listing_id}'s body.
type feedbackBody struct {
	Rating       *int         `json:"rating" required:"true" minimum:"1" maximum:"5" example:"4"`
	Interest     interest     `json:"interest,omitempty" enum:"none,low,medium,high" doc:"How interested in the home the author is."`
	PriceOpinion priceOpinion `json:"price_opinion,omitempty" enum:"low,right,high" doc:"What the author thinks of the asking price."`
	Comment      string       `json:"comment,omitempty" doc:"At most 2000 characters; line breaks allowed." example:"Bright kitchen, small yard."`
}

func (r feedbackBody) opinion() opinion {
	o := opinion{Interest: r.Interest, PriceOpinion: r.PriceOpinion, Comment: r.Comment}
	if r.Rating != nil {
		o.Rating = *r.Rating
	}
	return o.Normalized()
}

func (r feedbackBody) Validate() []httpapi.FieldError {
	if r.Rating == nil {
		return []httpapi.FieldError{{Field: "rating", Message: "is required"}}
	}
	var out []httpapi.FieldError
	for _, e := range r.opinion().Validate() {
		out = append(out, httpapi.FieldError{Field: e.Field, Message: e.Message})
	}
	return out
}

// feedbackView is one author's feedback on one home.
type feedbackView struct {
	TourID       string       `json:"tour_id"`
	ListingID    string       `json:"listing_id"`
	Author       party        `json:"author" enum:"customer,realtor" doc:"The author's part in the tour."`
	Rating       int          `json:"rating" minimum:"1" maximum:"5"`
	Interest     interest     `json:"interest,omitempty" enum:"none,low,medium,high"`
	PriceOpinion priceOpinion `json:"price_opinion,omitempty" enum:"low,right,high"`
	Comment      string       `json:"comment,omitempty"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
}

func feedbackViewOf(f feedback) feedbackView {
	return feedbackView{TourID: f.TourID, ListingID: f.ListingID, Author: f.Party, Rating: f.Rating, Interest: f.Interest,
		PriceOpinion: f.PriceOpinion, Comment: f.Comment, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
}

// myFeedbackView is GET /tours/{id}/feedback's answer.
type myFeedbackView struct {
	TourID    string         `json:"tour_id"`
	Author    party          `json:"author" enum:"customer,realtor" doc:"The caller's part in the tour."`
	Requested bool           `json:"requested" doc:"The caller is asked for feedback: the tour completed, and for the customer, they were not marked a no-show."`
	Open      bool           `json:"open" doc:"Feedback may be given now (PUT answers 200)."`
	NoShow    bool           `json:"no_show" doc:"The realtor marked the customer a no-show."`
	Items     []feedbackView `json:"items" doc:"The caller's feedback, one per home they gave it on."`
}

func (s *Service) handleMyFeedback(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	t, asked, mine, err := s.MyFeedback(r.Context(), r.PathValue("id"), p)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	party := partyOf(p, t)
	v := myFeedbackView{TourID: t.ID, Author: party, Requested: asked, NoShow: !t.NoShowAt.IsZero(), Items: []feedbackView{},
		Open: len(t.Stops) > 0 && t.MayGiveFeedback(party, t.Stops[0].ListingID, s.cfg.Clock.Now()) == nil}
	for _, f := range mine {
		v.Items = append(v.Items, feedbackViewOf(f))
	}
	httpapi.WriteJSON(w, http.StatusOK, v)
}

func (s *Service) handlePutFeedback(w http.ResponseWriter, r *http.Request) {
	var req feedbackBody
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	f, err := s.PutFeedback(r.Context(), r.PathValue("id"), r.PathValue("listing_id"), caller(r), req.opinion())
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, feedbackViewOf(f))
}

func (s *Service) handleNoShow(w http.ResponseWriter, r *http.Request) {
	t, err := s.MarkNoShow(r.Context(), r.PathValue("id"), caller(r))
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	s.writeTour(w, r, t)
}

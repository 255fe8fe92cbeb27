package tour

import (
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/openhouse/openhouse/internal/platform/fault"
	"github.com/openhouse/openhouse/internal/platform/usertext"
)

// After a tour its customer and its realtor are asked what they thought
// of each home, unless the realtor marked the customer a no-show. This file
// holds the rules; feedback_service.go applies them, feedback_sql.go keeps
// them, feedback_http.go serves them.

// party is someone's part in a tour.
type party string

// The parties asked for feedback.
const (
	partyCustomer party = "customer"
	partyRealtor  party = "realtor"
)

// feedbackRequest asks one party of a tour for feedback on its homes.
type feedbackRequest struct {
	TourID      string
	UserID      string
	Party       party
	RequestedAt time.Time
}

// interest is how interested in the home the author is.
type interest string

// priceOpinion is what the author thinks of the home's price.
type priceOpinion string

// The answers the contract allows ("" when not given).
var (
	interests     = []interest{"none", "low", "medium", "high"}
	priceOpinions = []priceOpinion{"low", "right", "high"}
)

// maxCommentLen bounds a feedback comment, in characters.
const maxCommentLen = 2000

// opinion is what an author says of one home.
type opinion struct {
	Rating       int
	Interest     interest
	PriceOpinion priceOpinion
	Comment      string
}

// Normalized returns o with its comment in stored form (usertext).
func (o opinion) Normalized() opinion {
	o.Comment = usertext.Normalize(o.Comment, usertext.Multiline)
	return o
}

// Validate checks a normalized opinion, naming each field that breaks a
// rule.
func (o opinion) Validate() []ruleError {
	var errs []ruleError
	if o.Rating < 1 || o.Rating > 5 {
		errs = append(errs, ruleError{"rating", "must be from 1 to 5"})
	}
	if o.Interest != "" && !slices.Contains(interests, o.Interest) {
		errs = append(errs, ruleError{"interest", "must be none, low, medium or high"})
	}
	if o.PriceOpinion != "" && !slices.Contains(priceOpinions, o.PriceOpinion) {
		errs = append(errs, ruleError{"price_opinion", "must be low, right or high"})
	}
	if utf8.RuneCountInString(o.Comment) > maxCommentLen {
		errs = append(errs, ruleError{"comment", fmt.Sprintf("must be at most %d characters", maxCommentLen)})
	} else if msg := usertext.Check(o.Comment, usertext.Multiline); msg != "" {
		errs = append(errs, ruleError{"comment", msg})
	}
	return errs
}

// feedback is one author's opinion of one home of a tour. An author has at
// most one per home: giving it again replaces it.
type feedback struct {
	TourID    string
	ListingID string
	AuthorID  string
	Party     party
	opinion
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Errors of feedback and no-shows callers branch on.
var (
	errNotEnded = fault.Conflict("the tour has not ended yet").
			WithDetail("the tour has not ended; feedback opens when it does")
	errNotStarted = fault.Conflict("the tour has not started yet")
	errNoShow     = fault.Conflict("the customer was marked a no-show").
			WithDetail("you were marked as not having come to this tour")
)

// PartyOf is userID's part in the tour, as the role they act in: the
// customer, or the realtor assigned; "" for anyone else.
func (t tour) PartyOf(userID string, role party) party {
	switch {
	case userID == "":
		return ""
	case role == partyCustomer && t.CustomerID == userID:
		return partyCustomer
	case role == partyRealtor && t.RealtorID == userID:
		return partyRealtor
	}
	return ""
}

// Ended reports whether the tour took place and is over: completed, or
// scheduled with its end passed (the worker completes it shortly).
func (t tour) Ended(now time.Time) bool {
	return t.Status == statusCompleted || (t.Status == statusScheduled && !now.Before(t.EndsAt))
}

// HasStop reports whether the home listingID is on the tour's route.
func (t tour) HasStop(listingID string) bool {
	return slices.ContainsFunc(t.Stops, func(s stop) bool { return s.ListingID == listingID })
}

// FeedbackAsks are the requests a completed tour makes: its realtor, and
// its customer unless marked a no-show. None for a tour not completed.
func (t tour) FeedbackAsks(now time.Time) []feedbackRequest {
	if t.Status != statusCompleted || t.RealtorID == "" {
		return nil
	}
	var out []feedbackRequest
	if t.NoShowAt.IsZero() {
		out = append(out, feedbackRequest{TourID: t.ID, UserID: t.CustomerID, Party: partyCustomer, RequestedAt: now.UTC()})
	}
	return append(out, feedbackRequest{TourID: t.ID, UserID: t.RealtorID, Party: partyRealtor, RequestedAt: now.UTC()})
}

// MayGiveFeedback says whether party may give feedback on the tour's home
// listingID now: once the tour ended, on a home of its route, and for the
// customer only when they came.
func (t tour) MayGiveFeedback(party party, listingID string, now time.Time) error {
	switch {
	case party == "" || !t.HasStop(listingID):
		return errNotFound
	case !t.Ended(now):
		return errNotEnded
	case party == partyCustomer && !t.NoShowAt.IsZero():
		return errNoShow
	}
	return nil
}

// give is the feedback o of author (in party) on listingID, replacing old
// (nil: the first). changed is false when o says what old said.
func give(old *feedback, tourID, listingID, author string, party party, o opinion, now time.Time) (f feedback, changed bool) {
	if old != nil && old.opinion == o {
		return *old, false
	}
	f = feedback{TourID: tourID, ListingID: listingID, AuthorID: author, Party: party, opinion: o, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	if old != nil {
		f.CreatedAt = old.CreatedAt
	}
	return f, true
}

// MarkNoShow records that the customer did not come, on behalf of the
// assigned realtor, once the tour started. Marking again changes nothing
// (false).
func (t *tour) MarkNoShow(realtorID string, now time.Time) (bool, error) {
	if realtorID == "" || t.RealtorID != realtorID || (t.Status != statusScheduled && t.Status != statusCompleted) {
		return false, errNotFound
	}
	if now.Before(t.ScheduledAt) {
		return false, errNotStarted
	}
	if !t.NoShowAt.IsZero() {
		return false, nil
	}
	t.NoShowAt = now.UTC()
	t.touch(now)
	return true, nil
}

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

// Party is someone's part in a tour.
type Party string

// The parties asked for feedback.
const (
	PartyCustomer Party = "customer"
	PartyRealtor  Party = "realtor"
)

// FeedbackRequest asks one party of a tour for feedback on its homes.
type FeedbackRequest struct {
	TourID      string
	UserID      string
	Party       Party
	RequestedAt time.Time
}

// Interest is how interested in the home the author is.
type Interest string

// PriceOpinion is what the author thinks of the home's price.
type PriceOpinion string

// The answers the contract allows ("" when not given).
var (
	Interests     = []Interest{"none", "low", "medium", "high"}
	PriceOpinions = []PriceOpinion{"low", "right", "high"}
)

// MaxCommentLen bounds a feedback comment, in characters.
const MaxCommentLen = 2000

// Opinion is what an author says of one home.
type Opinion struct {
	Rating       int
	Interest     Interest
	PriceOpinion PriceOpinion
	Comment      string
}

// Normalized returns o with its comment in stored form (usertext).
func (o Opinion) Normalized() Opinion {
	o.Comment = usertext.Normalize(o.Comment, usertext.Multiline)
	return o
}

// Validate checks a normalized opinion, naming each field that breaks a
// rule.
func (o Opinion) Validate() []RuleError {
	var errs []RuleError
	if o.Rating < 1 || o.Rating > 5 {
		errs = append(errs, RuleError{"rating", "must be from 1 to 5"})
	}
	if o.Interest != "" && !slices.Contains(Interests, o.Interest) {
		errs = append(errs, RuleError{"interest", "must be none, low, medium or high"})
	}
	if o.PriceOpinion != "" && !slices.Contains(PriceOpinions, o.PriceOpinion) {
		errs = append(errs, RuleError{"price_opinion", "must be low, right or high"})
	}
	if utf8.RuneCountInString(o.Comment) > MaxCommentLen {
		errs = append(errs, RuleError{"comment", fmt.Sprintf("must be at most %d characters", MaxCommentLen)})
	} else if msg := usertext.Check(o.Comment, usertext.Multiline); msg != "" {
		errs = append(errs, RuleError{"comment", msg})
	}
	return errs
}

// Feedback is one author's opinion of one home of a tour. An author has at
// most one per home: giving it again replaces it.
type Feedback struct {
	TourID    string
	ListingID string
	AuthorID  string
	Party     Party
	Opinion
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Errors of feedback and no-shows callers branch on.
var (
	ErrNotEnded = fault.Conflict("the tour has not ended yet").
			WithDetail("the tour has not ended; feedback opens when it does")
	ErrNotStarted = fault.Conflict("the tour has not started yet")
	ErrNoShow     = fault.Conflict("the customer was marked a no-show").
			WithDetail("you were marked as not having come to this tour")
)

// PartyOf is userID's part in the tour, as the role they act in: the
// customer, or the realtor assigned; "" for anyone else.
func (t Tour) PartyOf(userID string, role Party) Party {
	switch {
	case userID == "":
		return ""
	case role == PartyCustomer && t.CustomerID == userID:
		return PartyCustomer
	case role == PartyRealtor && t.RealtorID == userID:
		return PartyRealtor
	}
	return ""
}

// Ended reports whether the tour took place and is over: completed, or
// scheduled with its end passed (the worker completes it shortly).
func (t Tour) Ended(now time.Time) bool {
	return t.Status == Completed || (t.Status == Scheduled && !now.Before(t.EndsAt))
}

// HasStop reports whether the home listingID is on the tour's route.
func (t Tour) HasStop(listingID string) bool {
	return slices.ContainsFunc(t.Stops, func(s Stop) bool { return s.ListingID == listingID })
}

// FeedbackAsks are the requests a completed tour makes: its realtor, and
// its customer unless marked a no-show. None for a tour not completed.
func (t Tour) FeedbackAsks(now time.Time) []FeedbackRequest {
	if t.Status != Completed || t.RealtorID == "" {
		return nil
	}
	var out []FeedbackRequest
	if t.NoShowAt.IsZero() {
		out = append(out, FeedbackRequest{TourID: t.ID, UserID: t.CustomerID, Party: PartyCustomer, RequestedAt: now.UTC()})
	}
	return append(out, FeedbackRequest{TourID: t.ID, UserID: t.RealtorID, Party: PartyRealtor, RequestedAt: now.UTC()})
}

// MayGiveFeedback says whether party may give feedback on the tour's home
// listingID now: once the tour ended, on a home of its route, and for the
// customer only when they came.
func (t Tour) MayGiveFeedback(party Party, listingID string, now time.Time) error {
	switch {
	case party == "" || !t.HasStop(listingID):
		return ErrNotFound
	case !t.Ended(now):
		return ErrNotEnded
	case party == PartyCustomer && !t.NoShowAt.IsZero():
		return ErrNoShow
	}
	return nil
}

// Give is the feedback o of author (in party) on listingID, replacing old
// (nil: the first). changed is false when o says what old said.
func Give(old *Feedback, tourID, listingID, author string, party Party, o Opinion, now time.Time) (f Feedback, changed bool) {
	if old != nil && old.Opinion == o {
		return *old, false
	}
	f = Feedback{TourID: tourID, ListingID: listingID, AuthorID: author, Party: party, Opinion: o, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	if old != nil {
		f.CreatedAt = old.CreatedAt
	}
	return f, true
}

// MarkNoShow records that the customer did not come, on behalf of the
// assigned realtor, once the tour started. Marking again changes nothing
// (false).
func (t *Tour) MarkNoShow(realtorID string, now time.Time) (bool, error) {
	if realtorID == "" || t.RealtorID != realtorID || (t.Status != Scheduled && t.Status != Completed) {
		return false, ErrNotFound
	}
	if now.Before(t.ScheduledAt) {
		return false, ErrNotStarted
	}
	if !t.NoShowAt.IsZero() {
		return false, nil
	}
	t.NoShowAt = now.UTC()
	t.touch(now)
	return true, nil
}

package listing

import (
	"math"
	"slices"
	"time"

	"github.com/openhouse/openhouse/internal/events"
)

// A home's activity is what its provider may know of its showings: when
// and in what state, and what visitors thought, never who they were. The
// listing service keeps it from the tour service's events (activity_events.go),
// so answering never calls the tour service.

// showing is one visit of a home in a tour, as the tour's newest event
// known says. Version is that event's tour version: older news changes
// nothing.
type showing struct {
	TourID    string
	ListingID string
	Status    string
	Start     time.Time
	End       time.Time
	Version   int
}

// Showing statuses beyond the tour's own: a home declined out of the
// tour, and a tour whose customer did not come.
const (
	showingDeclined = "declined"
	showingNoShow   = "no_show"
)

// showingActive are the statuses of a showing still to happen.
var showingActive = []string{"pending", "awaiting_approval", "scheduled", "unassigned"}

// showingsOf are the showings a tour event says its homes have.
func showingsOf(t events.Tour) []showing {
	status := t.Status
	if t.NoShow {
		status = showingNoShow
	}
	out := make([]showing, 0, len(t.Stops))
	for _, st := range t.Stops {
		out = append(out, showing{TourID: t.TourID, ListingID: st.ListingID, Status: status, Start: st.Arrive.UTC(), End: st.Leave.UTC(), Version: t.Version})
	}
	return out
}

// author is how a provider sees who gave feedback: the buyer (the tour's
// customer) or the agent (its realtor), never who.
type author string

// The authors.
const (
	authorBuyer author = "buyer"
	authorAgent author = "agent"
)

// authorOf maps the tour's party to what the provider sees.
func authorOf(party string) author {
	if party == "realtor" {
		return authorAgent
	}
	return authorBuyer
}

// opinion is one visitor's feedback on the home, anonymised. At orders
// replacements: the newest wins.
type opinion struct {
	TourID       string
	ListingID    string
	Author       author
	Rating       int
	Interest     string
	PriceOpinion string
	Comment      string
	At           time.Time
}

// activityReport is a home's showings and feedback, as its provider reads them.
type activityReport struct {
	Total    int
	ByStatus map[string]int
	ByWeek   []weekCount
	Upcoming []showing
	Feedback feedbackSummary
}

// weekCount is the showings of one week (from Monday, in the home's time
// zone) by status.
type weekCount struct {
	Week     time.Time // Monday 00:00 in the home's zone
	Total    int
	ByStatus map[string]int
}

// feedbackSummary is the feedback count, averages and items, newest
// first.
type feedbackSummary struct {
	Count    int
	Average  *float64
	ByAuthor map[author]authorSummary
	Items    []opinion
}

// authorSummary is one kind of author's count and average rating.
type authorSummary struct {
	Count   int
	Average *float64
}

// maxUpcoming and maxFeedbackItems bound the activity's lists.
const (
	maxUpcoming      = 50
	maxFeedbackItems = 100
)

// buildActivity summarises a home's showings and feedback at now; weeks
// start on Monday in loc.
func buildActivity(showings []showing, opinions []opinion, now time.Time, loc *time.Location) activityReport {
	a := activityReport{ByStatus: map[string]int{}, Upcoming: []showing{}}
	weeks := map[time.Time]*weekCount{}
	for _, s := range showings {
		a.Total++
		a.ByStatus[s.Status]++
		wk := weekOf(s.Start, loc)
		w, ok := weeks[wk]
		if !ok {
			w = &weekCount{Week: wk, ByStatus: map[string]int{}}
			weeks[wk] = w
		}
		w.Total++
		w.ByStatus[s.Status]++
		if slices.Contains(showingActive, s.Status) && s.End.After(now) {
			a.Upcoming = append(a.Upcoming, s)
		}
	}
	for _, w := range weeks {
		a.ByWeek = append(a.ByWeek, *w)
	}
	slices.SortFunc(a.ByWeek, func(x, y weekCount) int { return x.Week.Compare(y.Week) })
	slices.SortFunc(a.Upcoming, func(x, y showing) int { return x.Start.Compare(y.Start) })
	if len(a.Upcoming) > maxUpcoming {
		a.Upcoming = a.Upcoming[:maxUpcoming]
	}
	a.Feedback = summarise(opinions)
	return a
}

func summarise(opinions []opinion) feedbackSummary {
	f := feedbackSummary{ByAuthor: map[author]authorSummary{}, Items: slices.Clone(opinions)}
	sum, sums := 0, map[author]int{}
	for _, o := range opinions {
		f.Count++
		sum += o.Rating
		s := f.ByAuthor[o.Author]
		s.Count++
		f.ByAuthor[o.Author] = s
		sums[o.Author] += o.Rating
	}
	f.Average = average(sum, f.Count)
	for a, s := range f.ByAuthor {
		s.Average = average(sums[a], s.Count)
		f.ByAuthor[a] = s
	}
	slices.SortFunc(f.Items, func(x, y opinion) int { return y.At.Compare(x.At) })
	if len(f.Items) > maxFeedbackItems {
		f.Items = f.Items[:maxFeedbackItems]
	}
	return f
}

// average is sum/n to two decimals; nil when there is nothing to average.
func average(sum, n int) *float64 {
	if n == 0 {
		return nil
	}
	v := math.Round(float64(sum)/float64(n)*100) / 100
	return &v
}

// weekOf is the Monday 00:00 in loc of the week holding t.
func weekOf(t time.Time, loc *time.Location) time.Time {
	d := t.In(loc)
	back := (int(d.Weekday()) + 6) % 7 // days since Monday
	return time.Date(d.Year(), d.Month(), d.Day()-back, 0, 0, 0, 0, loc)
}

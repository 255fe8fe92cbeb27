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

// Showing is one visit of a home in a tour, as the tour's newest event
// known says. Version is that event's tour version: older news changes
// nothing.
type Showing struct {
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
	ShowingDeclined = "declined"
	ShowingNoShow   = "no_show"
)

// showingActive are the statuses of a showing still to happen.
var showingActive = []string{"pending", "awaiting_approval", "scheduled", "unassigned"}

// ShowingsOf are the showings a tour event says its homes have.
func ShowingsOf(t events.Tour) []Showing {
	status := t.Status
	if t.NoShow {
		status = ShowingNoShow
	}
	out := make([]Showing, 0, len(t.Stops))
	for _, st := range t.Stops {
		out = append(out, Showing{TourID: t.TourID, ListingID: st.ListingID, Status: status, Start: st.Arrive.UTC(), End: st.Leave.UTC(), Version: t.Version})
	}
	return out
}

// Author is how a provider sees who gave feedback: the buyer (the tour's
// customer) or the agent (its realtor), never who.
type Author string

// The authors.
const (
	AuthorBuyer Author = "buyer"
	AuthorAgent Author = "agent"
)

// AuthorOf maps the tour's party to what the provider sees.
func AuthorOf(party string) Author {
	if party == "realtor" {
		return AuthorAgent
	}
	return AuthorBuyer
}

// Opinion is one visitor's feedback on the home, anonymised. At orders
// replacements: the newest wins.
type Opinion struct {
	TourID       string
	ListingID    string
	Author       Author
	Rating       int
	Interest     string
	PriceOpinion string
	Comment      string
	At           time.Time
}

// Activity is a home's showings and feedback, as its provider reads them.
type Activity struct {
	Total    int
	ByStatus map[string]int
	ByWeek   []WeekCount
	Upcoming []Showing
	Feedback FeedbackSummary
}

// WeekCount is the showings of one week (from Monday, in the home's time
// zone) by status.
type WeekCount struct {
	Week     time.Time // Monday 00:00 in the home's zone
	Total    int
	ByStatus map[string]int
}

// FeedbackSummary is the feedback count, averages and items, newest
// first.
type FeedbackSummary struct {
	Count    int
	Average  *float64
	ByAuthor map[Author]AuthorSummary
	Items    []Opinion
}

// AuthorSummary is one kind of author's count and average rating.
type AuthorSummary struct {
	Count   int
	Average *float64
}

// MaxUpcoming and MaxFeedbackItems bound the activity's lists.
const (
	MaxUpcoming      = 50
	MaxFeedbackItems = 100
)

// BuildActivity summarises a home's showings and feedback at now; weeks
// start on Monday in loc.
func BuildActivity(showings []Showing, opinions []Opinion, now time.Time, loc *time.Location) Activity {
	a := Activity{ByStatus: map[string]int{}, Upcoming: []Showing{}}
	weeks := map[time.Time]*WeekCount{}
	for _, s := range showings {
		a.Total++
		a.ByStatus[s.Status]++
		wk := weekOf(s.Start, loc)
		w, ok := weeks[wk]
		if !ok {
			w = &WeekCount{Week: wk, ByStatus: map[string]int{}}
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
	slices.SortFunc(a.ByWeek, func(x, y WeekCount) int { return x.Week.Compare(y.Week) })
	slices.SortFunc(a.Upcoming, func(x, y Showing) int { return x.Start.Compare(y.Start) })
	if len(a.Upcoming) > MaxUpcoming {
		a.Upcoming = a.Upcoming[:MaxUpcoming]
	}
	a.Feedback = summarise(opinions)
	return a
}

func summarise(opinions []Opinion) FeedbackSummary {
	f := FeedbackSummary{ByAuthor: map[Author]AuthorSummary{}, Items: slices.Clone(opinions)}
	sum, sums := 0, map[Author]int{}
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
	slices.SortFunc(f.Items, func(x, y Opinion) int { return y.At.Compare(x.At) })
	if len(f.Items) > MaxFeedbackItems {
		f.Items = f.Items[:MaxFeedbackItems]
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

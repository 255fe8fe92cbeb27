package listing

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// activity is GET /listings/{id}/activity's answer.
type activity struct {
	Showings struct {
		Total    int            `json:"total"`
		ByStatus map[string]int `json:"by_status"`
		ByWeek   []struct {
			Week     string         `json:"week"`
			Total    int            `json:"total"`
			ByStatus map[string]int `json:"by_status"`
		} `json:"by_week"`
	} `json:"showings"`
	Upcoming []struct {
		Start  time.Time `json:"start"`
		End    time.Time `json:"end"`
		Status string    `json:"status"`
	} `json:"upcoming"`
	Feedback struct {
		Count         int      `json:"count"`
		AverageRating *float64 `json:"average_rating"`
		ByAuthor      map[string]struct {
			Count         int      `json:"count"`
			AverageRating *float64 `json:"average_rating"`
		} `json:"by_author"`
		Items []struct {
			Author  string    `json:"author"`
			Rating  int       `json:"rating"`
			Comment string    `json:"comment"`
			At      time.Time `json:"at"`
		} `json:"items"`
	} `json:"feedback"`
}

// tourOf is a tour event's snapshot of a tour of home at start (an hour),
// at version.
func tourOf(id, home, status string, start time.Time, version int) events.Tour {
	return events.Tour{TourID: id, CustomerID: "cust-secret-" + id, RealtorID: "realtor-1", Status: status, Version: version,
		TimeZone: "America/Los_Angeles", ScheduledAt: start, EndsAt: start.Add(time.Hour),
		Stops: []events.TourStop{{ListingID: home, ProviderID: "prov-1", Title: "Loft", Arrive: start, Leave: start.Add(time.Hour)}}}
}

// TestActivityFromTourEvents: the provider sees the home's showings by
// status and week, the upcoming ones (times only), and the feedback
// averaged and anonymised, kept from the tour service's events whatever
// their order and however often they come, on both engines; an admin sees
// it too, another provider is told the home does not exist.
func TestActivityFromTourEvents(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		s := newServer(t, open)
		owner := s.provider("prov-1", true)
		other := s.provider("prov-2", true)
		home := s.create(owner, seattle()).ID
		send := func(typ string, data any) {
			t.Helper()
			ev := newEvent(t, typ, "tour", data)
			for range 2 { // every event redelivered
				s.deliver(ev)
			}
		}
		week := 7 * 24 * time.Hour
		past, soon := t0.Add(-week), t0.Add(2*24*time.Hour)

		// A: completed, with feedback from both; the buyer changed theirs.
		send(events.TypeTourScheduled, events.TourScheduled{Tour: tourOf("a", home, "scheduled", past, 2)})
		send(events.TypeTourCompleted, events.TourCompleted{Tour: tourOf("a", home, "completed", past, 3)})
		buyer := func(rating int, at time.Time, comment string) events.FeedbackSubmitted {
			return events.FeedbackSubmitted{Tour: tourOf("a", home, "completed", past, 3), ListingID: home, ProviderID: "prov-1",
				AuthorRole: "customer", Rating: rating, Comment: comment, CreatedAt: past, UpdatedAt: at}
		}
		send(events.TypeFeedbackSubmitted, buyer(4, past.Add(2*time.Hour), "Nice"))
		send(events.TypeFeedbackSubmitted, buyer(2, past.Add(3*time.Hour), "Too small on reflection"))
		send(events.TypeFeedbackSubmitted, buyer(4, past.Add(2*time.Hour), "Nice")) // late: changes nothing
		send(events.TypeFeedbackSubmitted, events.FeedbackSubmitted{Tour: tourOf("a", home, "completed", past, 3), ListingID: home,
			AuthorRole: "realtor", Rating: 5, Comment: "Keen buyers", UpdatedAt: past.Add(4 * time.Hour)})
		// B: upcoming; its creation arrives after its scheduling.
		send(events.TypeTourScheduled, events.TourScheduled{Tour: tourOf("b", home, "scheduled", soon, 2)})
		send(events.TypeTourCreated, events.TourCreated{Tour: tourOf("b", home, "pending", soon, 1)})
		// C: cancelled. D: the customer did not come.
		send(events.TypeTourCancelled, events.TourCancelled{Tour: tourOf("c", home, "cancelled", soon.Add(24*time.Hour), 3)})
		d := tourOf("d", home, "scheduled", past.Add(time.Hour), 4)
		d.NoShow = true
		send(events.TypeNoShowMarked, events.NoShowMarked{Tour: d})
		d.Status, d.Version = "completed", 5
		send(events.TypeTourCompleted, events.TourCompleted{Tour: d})
		// E: another home's tour, from which this home was declined.
		e := tourOf("e", "another-home", "pending", soon, 2)
		send(events.TypeTourStopDeclined, events.TourStopDeclined{Tour: e, ListingID: home, Reason: "declined"})

		res := s.do(&owner, "GET", "/listings/"+home+"/activity", nil).want(http.StatusOK)
		if strings.Contains(string(res.Body), "cust-secret") || strings.Contains(string(res.Body), "realtor-1") {
			t.Fatalf("the activity names a visitor: %s", res.Body)
		}
		var a activity
		res.decode(&a)
		want := map[string]int{"completed": 1, "scheduled": 1, "cancelled": 1, "no_show": 1, "declined": 1}
		if a.Showings.Total != 5 || len(a.Showings.ByStatus) != len(want) {
			t.Fatalf("showings %+v, want %v", a.Showings, want)
		}
		for st, n := range want {
			if a.Showings.ByStatus[st] != n {
				t.Errorf("%s: %d, want %d", st, a.Showings.ByStatus[st], n)
			}
		}
		if w := a.Showings.ByWeek; len(w) != 2 || w[0].Week != "2030-05-20" || w[0].Total != 2 || w[0].ByStatus["no_show"] != 1 ||
			w[1].Week != "2030-06-03" || w[1].Total != 3 {
			t.Errorf("by week %+v", w)
		}
		if u := a.Upcoming; len(u) != 1 || !u[0].Start.Equal(soon) || !u[0].End.Equal(soon.Add(time.Hour)) || u[0].Status != "scheduled" {
			t.Errorf("upcoming %+v", u)
		}
		f := a.Feedback
		if f.Count != 2 || f.AverageRating == nil || *f.AverageRating != 3.5 || f.ByAuthor["buyer"].Count != 1 ||
			*f.ByAuthor["buyer"].AverageRating != 2 || *f.ByAuthor["agent"].AverageRating != 5 {
			t.Errorf("feedback %+v", f)
		}
		if len(f.Items) != 2 || f.Items[0].Author != "agent" || f.Items[1].Author != "buyer" || f.Items[1].Comment != "Too small on reflection" {
			t.Errorf("feedback items %+v", f.Items)
		}

		admin := auth.Principal{ID: "admin-1", Role: auth.RoleAdmin}
		s.do(&admin, "GET", "/listings/"+home+"/activity", nil).want(http.StatusOK)
		s.do(&other, "GET", "/listings/"+home+"/activity", nil).want(http.StatusNotFound)
		s.do(&owner, "GET", "/listings/no-such-home/activity", nil).want(http.StatusNotFound)
		customer := auth.Principal{ID: "cust-secret-a", Role: auth.RoleCustomer}
		s.do(&customer, "GET", "/listings/"+home+"/activity", nil).want(http.StatusForbidden)

		// A home without activity answers zeros and empty lists.
		quiet := s.create(owner, seattle()).ID
		var empty activity
		s.do(&owner, "GET", "/listings/"+quiet+"/activity", nil).want(http.StatusOK).decode(&empty)
		if empty.Showings.Total != 0 || empty.Feedback.AverageRating != nil || empty.Upcoming == nil || empty.Feedback.Items == nil {
			t.Errorf("a quiet home's activity %+v", empty)
		}
	})
}

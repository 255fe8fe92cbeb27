package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/platform/clock"
)

// TestFeedbackJourney (issue 16, must show 4), over HTTP only: before a
// tour ends its feedback is refused (409) and nobody else may give it
// (404); the app's clock then jumps past the tour's end, the worker
// completes it, and its customer and realtor are each asked once
// (feedback_request in their inboxes). The customer's feedback given
// twice is one record; the home's provider sees the showing, the average
// and both opinions as from "buyer" and "agent", never who; another
// provider is told the home does not exist. The realtor's no-show
// withdraws the customer's request and shows in the activity.
func TestFeedbackJourney(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			clk := clock.NewShifted()
			cfg.AdminEmail, cfg.AdminPassword = "root-"+fmt.Sprint(time.Now().UnixNano())+"@example.com", "the admin passphrase"
			_, c := startAppWith(t, cfg, nil, app.WithClock(clk))
			w := newWorld(t, c, cfg.AdminEmail, cfg.AdminPassword)
			other := w.user("provider", true)
			home := w.listing("Loop loft", 41.8781, -87.6298)
			realtor, realtorID := w.realtor(41.89, -87.65)
			w.checkout(w.customer, []string{home}, tomorrowLocal(10), "feedback-"+w.suffix)

			var tour map[string]any
			eventually(t, "the tour to be scheduled", 15*time.Second, func() bool {
				ts := w.tours(w.customer)
				if len(ts) == 1 && ts[0]["status"] == "scheduled" && ts[0]["realtor_id"] == realtorID {
					tour = ts[0]
					return true
				}
				return false
			})
			id := tour["id"].(string)
			feedback := "/tours/" + id + "/feedback/" + home
			liked := map[string]any{"rating": 4, "interest": "high", "price_opinion": "right", "comment": "Bright kitchen\nsmall yard"}
			if status, out := c.call("PUT", feedback, w.customer, liked); status != 409 {
				t.Fatalf("feedback before the tour ended = %d %v", status, out)
			}
			if status, out := c.call("POST", "/tours/"+id+"/no-show", realtor, nil); status != 409 {
				t.Fatalf("no-show before the start = %d %v", status, out)
			}
			for _, who := range []string{other, w.provider, w.admin} {
				if status, out := c.call("PUT", feedback, who, liked); status != 404 {
					t.Fatalf("someone else's feedback = %d %v", status, out)
				}
			}

			// Past the tour's end: access tokens signed before the jump are
			// expired, as they would be two days later.
			ends, err := time.Parse(time.RFC3339, tour["ends_at"].(string))
			if err != nil {
				t.Fatal(err)
			}
			clk.Jump(ends.Sub(clk.Now()) + time.Minute)
			customerEmail := w.emails[w.customer]
			w.admin = c.login(cfg.AdminEmail, cfg.AdminPassword)
			w.customer, realtor, w.provider, other = w.again(w.customer), w.again(realtor), w.again(w.provider), w.again(other)

			for who, token := range map[string]string{"customer": w.customer, "realtor": realtor} {
				eventually(t, "the "+who+" to be asked for feedback", 20*time.Second, func() bool {
					return kinds(c, token)["feedback_request"] == 1
				})
			}
			if status, out := c.call("GET", "/tours/"+id, w.customer, nil); status != 200 || out["status"] != "completed" {
				t.Fatalf("the tour after its end = %d %v", status, out)
			}
			for range 2 {
				if status, out := c.call("PUT", feedback, w.customer, liked); status != 200 || out["rating"] != float64(4) || out["author"] != "customer" {
					t.Fatalf("the customer's feedback = %d %v", status, out)
				}
			}
			if status, out := c.call("PUT", feedback, realtor, map[string]any{"rating": 5, "comment": "Buyers keen"}); status != 200 {
				t.Fatalf("the realtor's feedback = %d %v", status, out)
			}
			status, mine := c.call("GET", "/tours/"+id+"/feedback", w.customer, nil)
			if items, _ := mine["items"].([]any); status != 200 || len(items) != 1 || mine["requested"] != true {
				t.Fatalf("the customer's feedback = %d %v", status, mine)
			}

			activity := "/listings/" + home + "/activity"
			var got map[string]any
			eventually(t, "the provider to see both opinions", 15*time.Second, func() bool {
				status, out := c.call("GET", activity, w.provider, nil)
				if status != 200 {
					t.Fatalf("activity = %d %v", status, out)
				}
				got = out
				fb := out["feedback"].(map[string]any)
				return fb["count"] == float64(2) && out["showings"].(map[string]any)["by_status"].(map[string]any)["completed"] == float64(1)
			})
			fb := got["feedback"].(map[string]any)
			if fb["average_rating"] != 4.5 {
				t.Errorf("average %v, want 4.5", fb["average_rating"])
			}
			authors := map[string]bool{}
			for _, it := range fb["items"].([]any) {
				authors[it.(map[string]any)["author"].(string)] = true
			}
			if !authors["buyer"] || !authors["agent"] || len(authors) != 2 {
				t.Errorf("authors %v, want buyer and agent", authors)
			}
			_, raw := c.raw("GET", activity, w.provider, nil, nil)
			_, me := c.call("GET", "/iam/me", w.customer, nil)
			for _, secret := range []string{me["id"].(string), customerEmail, realtorID} {
				if strings.Contains(string(raw), secret) {
					t.Errorf("the activity names a visitor (%s): %s", secret, raw)
				}
			}
			if status, out := c.call("GET", activity, other, nil); status != 404 {
				t.Fatalf("another provider's read of the activity = %d %v", status, out)
			}
			if status, _ := c.call("GET", activity, w.admin, nil); status != 200 {
				t.Fatalf("an admin's read of the activity = %d", status)
			}

			// The realtor says the customer never came.
			if status, out := c.call("POST", "/tours/"+id+"/no-show", realtor, nil); status != 200 || out["no_show_at"] == nil {
				t.Fatalf("no-show = %d %v", status, out)
			}
			if status, out := c.call("PUT", feedback, w.customer, liked); status != 409 {
				t.Fatalf("a no-show's feedback = %d %v", status, out)
			}
			if _, mine := c.call("GET", "/tours/"+id+"/feedback", w.customer, nil); mine["requested"] != false || mine["no_show"] != true {
				t.Fatalf("the customer's request after the no-show: %v", mine)
			}
			eventually(t, "the activity to show the no-show", 15*time.Second, func() bool {
				_, out := c.call("GET", activity, w.provider, nil)
				return out["showings"].(map[string]any)["by_status"].(map[string]any)["no_show"] == float64(1)
			})
		})
	}
}

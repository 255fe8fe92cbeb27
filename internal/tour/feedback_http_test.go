package tour

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// fieldsOf are the fields a validation problem names.
func fieldsOf(body map[string]any) []string {
	var out []string
	errs, _ := body["errors"].([]any)
	for _, e := range errs {
		out = append(out, fmt.Sprint(e.(map[string]any)["field"]))
	}
	return out
}

// TestFeedbackOverHTTP: the tour's customer and realtor read where they
// stand (asked, open, no-show) and give one feedback per home once the
// tour ended: 409 before, 404 for anyone else and for a home not on the
// route, 422 naming the field of a bad body; the same body twice is one
// record, a new one replaces it keeping when it was first given.
func TestFeedbackOverHTTP(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		h := newHarnessOn(t, open)
		c := h.server()
		start := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
		tr := h.book("cust-1", start)
		h.assign(tr, "realtor-1")
		path := "/tours/" + tr.ID + "/feedback"
		cust, realtor1 := customer("cust-1"), realtor("realtor-1")
		mine := func(p auth.Principal) map[string]any {
			t.Helper()
			status, body := c.send(t, http.MethodGet, path, p, nil)
			if status != http.StatusOK {
				t.Fatalf("%s's feedback = %d %v", p.ID, status, body)
			}
			return body
		}
		put := func(p auth.Principal, listingID string, body any) (int, map[string]any) {
			return c.send(t, http.MethodPut, path+"/"+listingID, p, body)
		}
		liked := map[string]any{"rating": 4, "interest": "high", "price_opinion": "right", "comment": "  Bright kitchen\r\nsmall yard  "}

		if got := mine(cust); got["author"] != "customer" || got["requested"] != false || got["open"] != false || got["no_show"] != false ||
			len(itemsOf(t, got)) != 0 {
			t.Fatalf("before the tour: %v", got)
		}
		if status, body := put(cust, "l-1", liked); status != http.StatusConflict {
			t.Fatalf("before the end = %d %v, want 409", status, body)
		}
		for _, p := range []auth.Principal{customer("cust-2"), realtor("realtor-2"), prov1, admin, as("cust-1", auth.RoleRealtor)} {
			if status, body := c.send(t, http.MethodGet, path, p, nil); status != http.StatusNotFound {
				t.Errorf("%s %s read the feedback: %d %v", p.Role, p.ID, status, body)
			}
		}

		h.complete(tr)
		h.redeliverCompleted()
		if got := mine(cust); got["requested"] != true || got["open"] != true {
			t.Fatalf("after the tour: %v, want asked and open", got)
		}
		for _, p := range []auth.Principal{customer("cust-2"), realtor("realtor-2"), prov1, admin} {
			if status, body := put(p, "l-1", liked); status != http.StatusNotFound {
				t.Errorf("%s %s gave feedback: %d %v", p.Role, p.ID, status, body)
			}
		}
		if status, body := put(cust, "l-9", liked); status != http.StatusNotFound {
			t.Errorf("a home not on the route = %d %v, want 404", status, body)
		}
		for _, bad := range []struct {
			body  any
			field string
		}{
			{map[string]any{"interest": "high"}, "rating"},
			{map[string]any{"rating": 0}, "rating"},
			{map[string]any{"rating": 6}, "rating"},
			{map[string]any{"rating": 3, "interest": "huge"}, "interest"},
			{map[string]any{"rating": 3, "price_opinion": "cheap"}, "price_opinion"},
			{map[string]any{"rating": 3, "comment": strings.Repeat("é", maxCommentLen+1)}, "comment"},
		} {
			status, body := put(cust, "l-1", bad.body)
			if status != http.StatusUnprocessableEntity || fmt.Sprint(fieldsOf(body)) != "["+bad.field+"]" {
				t.Errorf("%v = %d %v, want 422 naming %s", bad.body, status, body, bad.field)
			}
		}
		if status, body := put(cust, "l-1", `{"rating": 3, "stars": 5}`); status != http.StatusBadRequest {
			t.Errorf("an unknown field = %d %v, want 400", status, body)
		}

		status, first := put(cust, "l-1", liked)
		if status != http.StatusOK || first["author"] != "customer" || first["rating"] != 4.0 || first["comment"] != "Bright kitchen\nsmall yard" ||
			first["created_at"] != first["updated_at"] {
			t.Fatalf("first feedback = %d %v", status, first)
		}
		h.clock.Advance(time.Minute)
		if status, again := put(cust, "l-1", liked); status != http.StatusOK || again["updated_at"] != first["updated_at"] {
			t.Fatalf("the same body again = %d %v, want the first unchanged", status, again)
		}
		status, changed := put(cust, "l-1", map[string]any{"rating": 2})
		if status != http.StatusOK || changed["created_at"] != first["created_at"] || changed["updated_at"] == first["updated_at"] ||
			changed["comment"] != nil || changed["interest"] != nil {
			t.Fatalf("a new body = %d %v, want it replacing the first", status, changed)
		}
		if status, body := put(realtor1, "l-1", map[string]any{"rating": 5, "comment": "Buyers keen"}); status != http.StatusOK || body["author"] != "realtor" {
			t.Fatalf("the realtor's feedback = %d %v", status, body)
		}

		items := itemsOf(t, mine(cust))
		if len(items) != 1 || items[0]["rating"] != 2.0 || items[0]["author"] != "customer" {
			t.Fatalf("the customer's feedback %v, want their one record", items)
		}
		if items := itemsOf(t, mine(realtor1)); len(items) != 1 || items[0]["comment"] != "Buyers keen" {
			t.Fatalf("the realtor's feedback %v", items)
		}
		if n := len(outboxtest.OfType(t, h.db, events.TypeFeedbackSubmitted)); n != 3 {
			t.Fatalf("%d feedback.submitted, want 3 (the same body twice is one)", n)
		}

		// Marked a no-show after the customer was asked: the request is
		// withdrawn, what they said stays.
		if status, body := c.send(t, http.MethodPost, "/tours/"+tr.ID+"/no-show", realtor1, nil); status != http.StatusOK {
			t.Fatalf("no-show = %d %v", status, body)
		}
		if got := mine(cust); got["requested"] != false || got["open"] != false || got["no_show"] != true || len(itemsOf(t, got)) != 1 {
			t.Fatalf("the customer marked a no-show after being asked: %v", got)
		}
		if got := mine(realtor1); got["requested"] != true || got["open"] != true {
			t.Fatalf("the realtor after the no-show: %v", got)
		}
	})
}

// TestNoShowOverHTTP: only the assigned realtor marks the customer a
// no-show (404 for the customer, another realtor, an admin), from the
// start on (409 before); marking again answers the same tour; the
// customer is no longer asked, nor may give feedback.
func TestNoShowOverHTTP(t *testing.T) {
	h := newHarness(t)
	c := h.server()
	start := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	tr := h.book("cust-1", start)
	h.assign(tr, "realtor-1")
	path := "/tours/" + tr.ID + "/no-show"
	mark := func(p auth.Principal, want int) map[string]any {
		t.Helper()
		status, body := c.send(t, http.MethodPost, path, p, nil)
		if status != want {
			t.Fatalf("%s %s marks a no-show = %d %v, want %d", p.Role, p.ID, status, body, want)
		}
		return body
	}

	h.clock.Set(start.Add(-time.Second))
	mark(realtor("realtor-1"), http.StatusConflict)
	h.clock.Set(start)
	for _, p := range []auth.Principal{customer("cust-1"), realtor("realtor-2"), admin, prov1, as("realtor-1", auth.RoleCustomer)} {
		mark(p, http.StatusNotFound)
	}
	first := mark(realtor("realtor-1"), http.StatusOK)
	if first["no_show_at"] != start.Format(time.RFC3339) {
		t.Fatalf("marked: %v", first)
	}
	h.clock.Advance(time.Minute)
	if again := mark(realtor("realtor-1"), http.StatusOK); again["version"] != first["version"] || again["no_show_at"] != first["no_show_at"] {
		t.Fatalf("marked again: %v, want %v", again, first)
	}

	h.complete(tr)
	h.redeliverCompleted()
	status, got := c.send(t, http.MethodGet, "/tours/"+tr.ID+"/feedback", customer("cust-1"), nil)
	if status != http.StatusOK || got["no_show"] != true || got["requested"] != false || got["open"] != false {
		t.Fatalf("the no-show customer's feedback = %d %v", status, got)
	}
	if status, body := c.send(t, http.MethodPut, "/tours/"+tr.ID+"/feedback/l-1", customer("cust-1"), map[string]any{"rating": 1}); status != http.StatusConflict {
		t.Fatalf("the no-show customer's feedback = %d %v, want 409", status, body)
	}
	status, got = c.send(t, http.MethodGet, "/tours/"+tr.ID+"/feedback", realtor("realtor-1"), nil)
	if status != http.StatusOK || got["requested"] != true || got["open"] != true || got["author"] != "realtor" {
		t.Fatalf("the realtor's feedback = %d %v", status, got)
	}
}

// TestFeedbackAsks: who a tour asks for feedback, and when.
func TestFeedbackAsks(t *testing.T) {
	now := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	done := tour{ID: "t", CustomerID: "c1", RealtorID: "r1", Status: statusCompleted, EndsAt: now.Add(-time.Hour)}
	who := func(tr tour) string {
		var out []string
		for _, r := range tr.FeedbackAsks(now) {
			out = append(out, r.UserID+"/"+string(r.Party))
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		name string
		t    func(tour) tour
		want string
	}{
		{"completed", func(t tour) tour { return t }, "c1/customer r1/realtor"},
		{"a no-show", func(t tour) tour { t.NoShowAt = now.Add(-2 * time.Hour); return t }, "r1/realtor"},
		{"no realtor", func(t tour) tour { t.RealtorID = ""; return t }, ""},
		{"scheduled, past its end", func(t tour) tour { t.Status = statusScheduled; return t }, ""},
		{"cancelled", func(t tour) tour { t.Status = statusCancelled; return t }, ""},
	} {
		if got := who(c.t(done)); got != c.want {
			t.Errorf("%s: asks %q, want %q", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		user  string
		role  party
		party party
	}{
		{"c1", partyCustomer, partyCustomer}, {"r1", partyRealtor, partyRealtor},
		{"c1", partyRealtor, ""}, {"r1", partyCustomer, ""}, {"", partyCustomer, ""}, {"x", partyCustomer, ""},
	} {
		if got := done.PartyOf(c.user, c.role); got != c.party {
			t.Errorf("%q as %s: party %q, want %q", c.user, c.role, got, c.party)
		}
	}
	ended := done
	ended.Status = statusScheduled
	if !ended.Ended(ended.EndsAt) || ended.Ended(ended.EndsAt.Add(-time.Second)) {
		t.Error("a scheduled tour ends at its end")
	}
	ended.Status = statusUnassigned
	if ended.Ended(now) {
		t.Error("a tour that never took place ended")
	}
}

// TestFeedbackOfAnUnknownTour: a tour.completed about a tour this service
// does not hold is dead-lettered rather than retried for ever, and asks
// nobody.
func TestFeedbackOfAnUnknownTour(t *testing.T) {
	h := newHarness(t)
	err := h.deliver(events.TypeTourCompleted, "o-9", events.TourCompleted{Tour: events.Tour{TourID: "o-9"}, CompletedAt: h.clock.Now()})
	if !isPermanentError(err) {
		t.Fatalf("tour.completed of an unknown tour: %v, want a permanent error", err)
	}
	tr := h.book("cust-1", time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC))
	if made, err := h.svc.RequestFeedback(context.Background(), tr.ID); err != nil || len(made) != 0 {
		t.Fatalf("feedback on a tour not completed: %v %v, want nobody asked", made, err)
	}
	if n := len(outboxtest.OfType(t, h.db, events.TypeFeedbackRequested)); n != 0 {
		t.Fatalf("%d feedback.requested", n)
	}
}

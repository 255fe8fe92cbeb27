package app_test

import (
	"fmt"
	"testing"
	"time"
)

// TestShowingRulesAfterBooking is issue 16's showing rules over HTTP on the
// running system, past the checkout: a home that takes one showing a day,
// booked once on a day, offers no more times that day (GET /cart/slots and
// /listings/{id}/slots, which ask the appointment service's count) but
// does the next; its provider then changes its windows, and sees the
// booked tour that breaks them (GET /tours/conflicts; another provider
// sees nothing, a customer is refused), the tour going on; a move of that
// tour into a time the new rules refuse is a 422 naming the rule, and the
// tour is unchanged.
func TestShowingRulesAfterBooking(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			cfg.AdminEmail, cfg.AdminPassword = "root-"+fmt.Sprint(time.Now().UnixNano())+"@example.com", "the admin passphrase"
			_, c := startApp(t, cfg)
			w := newWorld(t, c, cfg.AdminEmail, cfg.AdminPassword)
			loft := w.listing("Loop loft", 41.8781, -87.6298)
			one := map[string]any{"mode": "auto", "min_notice_minutes": 0, "max_per_day": 1, "windows": []any{}, "blackouts": []any{}, "visit_minutes": 0, "message": ""}
			if status, out := c.call("PATCH", "/listings/"+loft, w.provider, map[string]any{"showing": one}); status != 200 {
				t.Fatalf("one showing a day = %d %v", status, out)
			}
			w.realtor(41.89, -87.65)
			w.checkout(w.customer, []string{loft}, tomorrowLocal(10), "rules-"+w.suffix)
			var tour map[string]any
			eventually(t, "the tour to be scheduled", 15*time.Second, func() bool {
				ts := w.tours(w.customer)
				if len(ts) == 1 && ts[0]["status"] == "scheduled" {
					tour = ts[0]
					return true
				}
				return false
			})

			chicago, _ := time.LoadLocation("America/Chicago")
			booked := time.Now().In(chicago).AddDate(0, 0, 2)
			day, next := booked.Format(time.DateOnly), booked.AddDate(0, 0, 1).Format(time.DateOnly)
			other := w.user("customer", false)
			if status, out := c.call("POST", "/cart/items", other, map[string]string{"listing_id": loft}); status != 200 {
				t.Fatalf("add to cart = %d %v", status, out)
			}
			count := func(path, token string) int {
				t.Helper()
				status, out := c.call("GET", path, token, nil)
				items, ok := out["items"].([]any)
				if status != 200 || !ok {
					t.Fatalf("%s = %d %v", path, status, out)
				}
				return len(items)
			}
			for _, path := range []string{"/cart/slots", "/listings/" + loft + "/slots"} {
				if n := count(path+"?from="+day+"&days=1", other); n != 0 {
					t.Errorf("%s on the booked day: %d times, want none (the home takes one a day)", path, n)
				}
				if n := count(path+"?from="+next+"&days=1", other); n == 0 {
					t.Errorf("%s on the next day: no times", path)
				}
			}

			// New windows: the booked day's weekday is no longer shown.
			weekday := (int(booked.Weekday())+6)%7 + 1
			windows := []any{map[string]any{"weekday": weekday%7 + 1, "start": "09:00", "end": "17:00"}}
			changed := map[string]any{"mode": "auto", "min_notice_minutes": 0, "max_per_day": 1, "windows": windows, "blackouts": []any{}, "visit_minutes": 0, "message": ""}
			if status, out := c.call("PATCH", "/listings/"+loft, w.provider, map[string]any{"showing": changed}); status != 200 {
				t.Fatalf("new windows = %d %v", status, out)
			}
			status, out := c.call("GET", "/tours/conflicts?listing_id="+loft, w.provider, nil)
			items, _ := out["items"].([]any)
			if status != 200 || len(items) != 1 || items[0].(map[string]any)["tour_id"] != tour["id"] || items[0].(map[string]any)["rule"] != "windows" {
				t.Fatalf("the provider's conflicts = %d %v", status, out)
			}
			if _, has := items[0].(map[string]any)["customer_id"]; has {
				t.Fatalf("a conflict names the customer: %v", items[0])
			}
			stranger := w.user("provider", true)
			if status, out := c.call("GET", "/tours/conflicts?listing_id="+loft, stranger, nil); status != 200 || len(out["items"].([]any)) != 0 {
				t.Fatalf("another provider's conflicts = %d %v", status, out)
			}
			if status, _ := c.call("GET", "/tours/conflicts", w.customer, nil); status != 403 {
				t.Fatalf("a customer's conflicts = %d, want 403", status)
			}

			id := tour["id"].(string)
			status, out = c.call("PATCH", "/tours/"+id, w.customer, map[string]any{"scheduled_at": tomorrowLocal(12)})
			if status != 422 || out["type"] != "urn:openhouse:problem:showing-rule" || out["rule"] != "windows" || out["listing_id"] != loft {
				t.Fatalf("a move outside the new windows = %d %v", status, out)
			}
			if _, now := c.call("GET", "/tours/"+id, w.customer, nil); now["scheduled_at"] != tour["scheduled_at"] || now["status"] != "scheduled" {
				t.Fatalf("the refused move changed the tour: %v", now)
			}
		})
	}
}

package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
)

// TestAdminRefundRacingACancellation: an admin refunds a payment by hand
// while its customer cancels the tour. The tour service's own refund then
// finds less left than the cancellation grants; what was refunded already
// counts, so nothing is dead-lettered: a payment refunded in full stays
// as it is, one refunded in part gets the rest, and each ends refunded
// exactly once in total (the fee, 2500).
func TestAdminRefundRacingACancellation(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			cfg.AdminEmail, cfg.AdminPassword = "root-"+fmt.Sprint(time.Now().UnixNano())+"@example.com", "the admin passphrase"
			_, c := startApp(t, cfg)
			w := newWorld(t, c, cfg.AdminEmail, cfg.AdminPassword)
			home := w.listing("Loop loft", 41.8781, -87.6298)
			w.realtor(41.88, -87.63)

			for i, adminRefund := range []map[string]any{
				{}, // everything
				{"amount": map[string]any{"amount": 1000, "currency": "USD"}, "reason": "goodwill"},
			} {
				customer := w.user("customer", false)
				w.checkout(customer, []string{home}, tomorrowLocal(10+2*i), fmt.Sprintf("race-%d-%s", i, w.suffix))
				var tour map[string]any
				eventually(t, "the tour to be scheduled", 15*time.Second, func() bool {
					ts := w.tours(customer)
					if len(ts) != 1 || ts[0]["status"] != "scheduled" {
						return false
					}
					tour = ts[0]
					return true
				})
				paymentID := tour["payment_id"].(string)
				if status, out := c.call("POST", "/payments/"+paymentID+"/refund", w.admin, adminRefund); status != 200 {
					t.Fatalf("admin refund = %d %v", status, out)
				}
				handled := cancellationsHandled(t, c)
				if status, out := c.call("DELETE", "/tours/"+tour["id"].(string), customer, nil); status != 200 || out["status"] != "cancelled" {
					t.Fatalf("cancel = %d %v", status, out)
				}
				eventually(t, "the tour service to handle the cancellation", 15*time.Second, func() bool {
					return cancellationsHandled(t, c) > handled
				})
				if n := deadLettered(t, c); n != 0 {
					t.Fatalf("after an admin refund of %v, the cancellation's refund was dead-lettered", adminRefund)
				}
				eventually(t, "the payment refunded in full, once", 15*time.Second, func() bool {
					_, p := c.call("GET", "/payments/"+paymentID, w.admin, nil)
					return p["status"] == "refunded" && p["refunded"].(map[string]any)["amount"] == 2500.0
				})
			}
			_, out := c.call("GET", "/admin/dead-letters", w.admin, nil)
			if items := out["items"].([]any); len(items) != 0 {
				t.Fatalf("dead letters: %v", items)
			}
		})
	}
}

// cancellationsHandled counts the tour service's deliveries of
// tour.cancelled that ended, acknowledged or dead-lettered.
func cancellationsHandled(t *testing.T, c client) float64 {
	t.Helper()
	fams := scrape(t, c)
	ok, _ := fams.value("openhouse_events_consumed_total", map[string]string{"consumer": "tour", "type": events.TypeTourCancelled, "outcome": "ok"})
	return ok + deadLetteredIn(fams)
}

func deadLettered(t *testing.T, c client) float64 { return deadLetteredIn(scrape(t, c)) }

func deadLetteredIn(fams families) float64 {
	n, _ := fams.value("openhouse_events_consumed_total", map[string]string{"consumer": "tour", "type": events.TypeTourCancelled, "outcome": "dead_letter"})
	return n
}

package app_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// awaiting is the path /tours/{id}/stops/{listing_id} of a paid tour of a
// home of provider p in showing mode confirm, near the Chicago realtor,
// booked by the first customer: one per provider and use.
func (m *matrix) awaiting(p *actor, use string) string {
	m.t.Helper()
	if path, ok := m.waiting[p.id+use]; ok {
		return path
	}
	listing := m.listing(p, 41.8781+0.002, -87.6298)
	body := listingBody("Home of "+p.label, 41.8781+0.002, -87.6298)
	body["showing"] = map[string]any{"mode": "confirm", "min_notice_minutes": 0, "max_per_day": 0, "windows": []any{}, "blackouts": []any{}, "visit_minutes": 0, "message": ""}
	if status, out := m.c.call("PUT", "/listings/"+listing, p.token, body); status != 200 {
		m.t.Fatalf("showing mode confirm = %d %v", status, out)
	}
	customer := m.users["customer"][0]
	m.slot++
	m.fill(customer, listing)
	start := at(3+m.slot/6, 8+2*(m.slot%6))
	status, raw := m.c.raw("POST", "/cart/checkout", customer.token, map[string]string{"Idempotency-Key": fmt.Sprintf("matrix-%d", m.slot)},
		map[string]string{"scheduled_at": start.Format(time.RFC3339), "payment_method": "tok_visa"})
	if status != 201 {
		m.t.Fatalf("checkout = %d %s", status, raw)
	}
	var order struct {
		OrderID string `json:"order_id"`
	}
	if err := json.Unmarshal(raw, &order); err != nil {
		m.t.Fatal(err)
	}
	eventually(m.t, "the tour to await approval", 15*time.Second, func() bool {
		_, out := m.c.call("GET", "/tours?order_id="+order.OrderID, customer.token, nil)
		items, _ := out["items"].([]any)
		return len(items) == 1 && items[0].(map[string]any)["status"] == "awaiting_approval"
	})
	path := "/tours/" + order.OrderID + "/stops/" + listing
	m.waiting[p.id+use] = path
	return path
}

// TestApprovalJourney is must-show 1 over HTTP on the running system: a
// paid tour of two homes whose providers approve each showing waits
// awaiting_approval, its realtor booked, the customer told nothing of a
// booking and each provider asked in their inbox; another provider
// answering gets 404; one provider approves (twice: the same tour), the
// other declines: that home leaves the tour, its fee ($25) is refunded
// once, the route is planned again, the customer is told, and the tour is
// scheduled (the customer's "booked" notice). An answer from the provider
// who declined, after the tour moved on, changes nothing.
func TestApprovalJourney(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			cfg.AdminEmail, cfg.AdminPassword = "root-"+fmt.Sprint(time.Now().UnixNano())+"@example.com", "the admin passphrase"
			_, c := startApp(t, cfg)
			w := newWorld(t, c, cfg.AdminEmail, cfg.AdminPassword)
			other := w.user("provider", true)
			confirm := map[string]any{"mode": "confirm", "min_notice_minutes": 0, "max_per_day": 0, "windows": []any{}, "blackouts": []any{}, "visit_minutes": 0, "message": ""}
			loft := w.listing("Loop loft", 41.8781, -87.6298)
			w.provider, other = other, w.provider
			house := w.listing("Wicker house", 41.9088, -87.6796)
			w.provider, other = other, w.provider // w.provider owns the loft, other the house
			for id, owner := range map[string]string{loft: w.provider, house: other} {
				if status, out := c.call("PATCH", "/listings/"+id, owner, map[string]any{"showing": confirm}); status != 200 {
					t.Fatalf("mode confirm = %d %v", status, out)
				}
			}
			_, realtor := w.realtor(41.89, -87.65)
			w.checkout(w.customer, []string{loft, house}, tomorrowLocal(10), "approval-"+w.suffix)

			var tour map[string]any
			eventually(t, "the tour to await approval with its realtor booked", 15*time.Second, func() bool {
				ts := w.tours(w.customer)
				if len(ts) == 1 && ts[0]["status"] == "awaiting_approval" && ts[0]["realtor_id"] == realtor {
					tour = ts[0]
					return true
				}
				return false
			})
			id := tour["id"].(string)
			for _, p := range []string{w.provider, other} {
				eventually(t, "the provider to be asked", 10*time.Second, func() bool { return kinds(c, p)["approval_request"] == 1 })
				status, out := c.call("GET", "/tours/approvals", p, nil)
				items, _ := out["items"].([]any)
				if status != 200 || len(items) != 1 || items[0].(map[string]any)["deadline"] != tour["approval_deadline"] {
					t.Fatalf("approvals inbox = %d %v (tour's deadline %v)", status, out, tour["approval_deadline"])
				}
			}
			if k := kinds(c, w.customer); k["tour_scheduled"] != 0 {
				t.Fatalf("the customer was told of a booking before approval: %v", k)
			}
			if status, _ := c.call("POST", "/tours/"+id+"/stops/"+house+"/approve", w.provider, nil); status != 404 {
				t.Fatalf("another provider's answer = %d, want 404", status)
			}
			for range 2 {
				if status, out := c.call("POST", "/tours/"+id+"/stops/"+loft+"/approve", w.provider, nil); status != 200 || out["status"] != "awaiting_approval" {
					t.Fatalf("approve = %d %v", status, out)
				}
			}
			status, out := c.call("POST", "/tours/"+id+"/stops/"+house+"/decline", other, nil)
			if status != 200 || out["status"] != "scheduled" || len(out["listing_ids"].([]any)) != 1 || out["listing_ids"].([]any)[0] != loft ||
				out["ends_at"] == tour["ends_at"] {
				t.Fatalf("decline = %d %v", status, out)
			}
			if status, _ := c.call("POST", "/tours/"+id+"/stops/"+house+"/approve", other, nil); status != 409 {
				t.Fatalf("approving a declined home = %d, want 409", status)
			}
			eventually(t, "the declined home's fee refunded and the customer told", 15*time.Second, func() bool {
				_, p := c.call("GET", "/payments/"+tour["payment_id"].(string), w.admin, nil)
				refunded, _ := p["refunded"].(map[string]any)
				k := kinds(c, w.customer)
				return refunded != nil && refunded["amount"] == float64(2500) && k["tour_home_declined"] == 1 && k["tour_scheduled"] == 1
			})
			// One refund of the fee, nothing more (its key names the tour and home).
			_, p := c.call("GET", "/payments/"+tour["payment_id"].(string), w.admin, nil)
			if p["refunded"].(map[string]any)["amount"] != float64(2500) || p["status"] != "partially_refunded" {
				t.Fatalf("payment after the decline: %v", p)
			}
		})
	}
}

// kinds counts the caller's notifications by kind.
func kinds(c client, token string) map[string]int {
	_, out := c.call("GET", "/notifications?limit=100", token, nil)
	n := map[string]int{}
	items, _ := out["items"].([]any)
	for _, it := range items {
		n[it.(map[string]any)["kind"].(string)]++
	}
	return n
}

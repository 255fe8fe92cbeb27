package app_test

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// realtor registers a verified realtor working around a point every day
// 08:00-20:00 Chicago time.
func (w *world) realtor(lat, lng float64) (token, id string) {
	w.t.Helper()
	token = w.user("realtor", true)
	status, me := w.c.call("PATCH", "/iam/me", token, realtorProfileBody(lat, lng))
	if status != 200 {
		w.t.Fatalf("realtor profile = %d %v", status, me)
	}
	return token, me["id"].(string)
}

func (w *world) checkout(customer string, listings []string, at, key string) map[string]any {
	w.t.Helper()
	for _, id := range listings {
		if status, out := w.c.call("POST", "/cart/items", customer, map[string]string{"listing_id": id}); status != 200 {
			w.t.Fatalf("add to cart = %d %v", status, out)
		}
	}
	status, out := w.c.raw("POST", "/cart/checkout", customer, map[string]string{"Idempotency-Key": key},
		map[string]string{"scheduled_at": at, "payment_method": "tok_visa"})
	if status != 201 {
		w.t.Fatalf("checkout = %d %s", status, out)
	}
	return nil
}

// tours returns the caller's tours.
func (w *world) tours(token string) []map[string]any {
	w.t.Helper()
	status, out := w.c.call("GET", "/tours?limit=100", token, nil)
	if status != 200 {
		w.t.Fatalf("tours = %d %v", status, out)
	}
	var list []map[string]any
	for _, it := range out["items"].([]any) {
		list = append(list, it.(map[string]any))
	}
	return list
}

// TestBookingSaga is the heart of the product, over HTTP only: a paid
// checkout becomes a tour, a realtor near the homes is assigned at the
// requested time, both hear about it, iam records it all; then the
// customer cancels, the realtor is freed and the payment refunded once.
func TestBookingSaga(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			cfg.AdminEmail, cfg.AdminPassword = "root-"+fmt.Sprint(time.Now().UnixNano())+"@example.com", "the admin passphrase"
			_, c := startApp(t, cfg)
			w := newWorld(t, c, cfg.AdminEmail, cfg.AdminPassword)
			home := w.listing("Loop loft", 41.8781, -87.6298)
			realtorToken, realtorID := w.realtor(41.88, -87.63)

			w.checkout(w.customer, []string{home}, tomorrowLocal(10), "saga-"+w.suffix)
			var tour map[string]any
			eventually(t, "the tour to be scheduled with the realtor", 15*time.Second, func() bool {
				ts := w.tours(w.customer)
				if len(ts) == 1 && ts[0]["status"] == "scheduled" {
					tour = ts[0]
					return true
				}
				return false
			})
			if tour["realtor_id"] != realtorID {
				t.Fatalf("tour realtor = %v, want %s", tour["realtor_id"], realtorID)
			}
			if ts := w.tours(realtorToken); len(ts) != 1 || ts[0]["id"] != tour["id"] {
				t.Fatalf("the realtor's tours = %v", ts)
			}
			// The customer sees who is coming, and a rename reaches the
			// tour (the name comes from iam's realtor profile events).
			for _, name := range []string{"realtor", "Rita Moreno"} {
				if name != "realtor" {
					if status, out := c.call("PATCH", "/iam/me", realtorToken, map[string]string{"name": name}); status != 200 {
						t.Fatalf("rename = %d %v", status, out)
					}
				}
				eventually(t, "the tour to name its realtor "+name, 15*time.Second, func() bool {
					_, got := c.call("GET", "/tours/"+tour["id"].(string), w.customer, nil)
					return got["realtor_name"] == name && w.tours(w.customer)[0]["realtor_name"] == name
				})
			}
			// GET /tours?order_id= finds the checkout's tour, within the
			// caller's own tours only.
			byOrder := "/tours?order_id=" + tour["order_id"].(string)
			for who, token := range map[string]string{"customer": w.customer, "another customer": w.user("customer", false)} {
				_, out := c.call("GET", byOrder, token, nil)
				items := out["items"].([]any)
				if mine := who == "customer"; mine != (len(items) == 1) || mine && items[0].(map[string]any)["id"] != tour["id"] {
					t.Fatalf("%s: GET %s = %v", who, byOrder, out)
				}
			}
			for who, token := range map[string]string{"customer": w.customer, "realtor": realtorToken} {
				eventually(t, who+" to be told the tour is scheduled", 15*time.Second, func() bool {
					_, inbox := c.call("GET", "/notifications", token, nil)
					for _, n := range inbox["items"].([]any) {
						if n.(map[string]any)["kind"] == "tour_scheduled" && n.(map[string]any)["tour_id"] == tour["id"] {
							return true
						}
					}
					return false
				})
				eventually(t, "iam to record the appointment for the "+who, 15*time.Second, func() bool {
					_, me := c.call("GET", "/iam/me", token, nil)
					return len(me["records"].(map[string]any)["appointments"].([]any)) == 1
				})
			}

			// The customer cancels two days ahead: full refund, once; the
			// realtor is free again for the next customer at that time.
			if status, out := c.call("DELETE", "/tours/"+tour["id"].(string), w.customer, nil); status != 200 || out["status"] != "cancelled" {
				t.Fatalf("cancel = %d %v", status, out)
			}
			eventually(t, "the refund", 15*time.Second, func() bool {
				_, p := c.call("GET", "/payments/"+tour["payment_id"].(string), w.admin, nil)
				return p["status"] == "refunded"
			})
			next := w.user("customer", false)
			w.checkout(next, []string{home}, tomorrowLocal(10), "saga-next-"+w.suffix)
			eventually(t, "the next customer's tour to get the freed realtor", 15*time.Second, func() bool {
				ts := w.tours(next)
				return len(ts) == 1 && ts[0]["status"] == "scheduled" && ts[0]["realtor_id"] == realtorID
			})
		})
	}
}

// TestContention: 50 customers check out at once for the same time in an
// area with 5 realtors: exactly 5 tours are scheduled, 45 wait
// (unassigned), and no realtor holds two tours.
func TestContention(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			cfg.AdminEmail, cfg.AdminPassword = "root-"+fmt.Sprint(time.Now().UnixNano())+"@example.com", "the admin passphrase"
			_, c := startApp(t, cfg)
			w := newWorld(t, c, cfg.AdminEmail, cfg.AdminPassword)
			home := w.listing("Loop loft", 41.8781, -87.6298)
			realtors := map[string]bool{}
			for i := range 5 {
				_, id := w.realtor(41.88+float64(i)*0.01, -87.63)
				realtors[id] = true
			}
			customers := make([]string, 50)
			for i := range customers {
				customers[i] = w.user("customer", false)
			}
			var wg sync.WaitGroup
			for i, cust := range customers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					w.checkout(cust, []string{home}, tomorrowLocal(14), fmt.Sprintf("rush-%d-%s", i, w.suffix))
				}()
			}
			wg.Wait()
			var scheduled, unassigned map[string]string
			eventually(t, "every tour to be scheduled or unassigned", 60*time.Second, func() bool {
				scheduled, unassigned = map[string]string{}, map[string]string{}
				_, out := c.call("GET", "/tours?limit=100", w.admin, nil)
				for _, it := range out["items"].([]any) {
					tr := it.(map[string]any)
					switch tr["status"] {
					case "scheduled":
						scheduled[tr["id"].(string)] = tr["realtor_id"].(string)
					case "unassigned":
						unassigned[tr["id"].(string)] = ""
					}
				}
				return len(scheduled)+len(unassigned) == 50
			})
			if len(scheduled) != 5 || len(unassigned) != 45 {
				t.Fatalf("%d scheduled, %d unassigned; want 5 and 45", len(scheduled), len(unassigned))
			}
			used := map[string]bool{}
			for _, r := range scheduled {
				if used[r] || !realtors[r] {
					t.Fatalf("realtor %s holds two tours (or is unknown): %v", r, scheduled)
				}
				used[r] = true
			}
		})
	}
}

package app_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/platform/ratelimit"
)

// realtor registers a verified realtor working around a point every day
// 08:00-20:00 Chicago time, and waits until availability offers them (as
// a customer would see their times among the open slots).
func (w *world) realtor(lat, lng float64) (token, id string) {
	w.t.Helper()
	token = w.user("realtor", true)
	status, me := w.c.call("PATCH", "/iam/me", token, realtorProfileBody(lat, lng))
	if status != 200 {
		w.t.Fatalf("realtor profile = %d %v", status, me)
	}
	id = me["id"].(string)
	eventually(w.t, "availability to offer the new realtor", 15*time.Second, func() bool {
		_, out := w.c.call("GET", fmt.Sprintf("/availability?lat=%v&lng=%v&limit=100", lat, lng), w.admin, nil)
		items, _ := out["items"].([]any)
		for _, it := range items {
			if it.(map[string]any)["realtor_id"] == id {
				return true
			}
		}
		return false
	})
	return token, id
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

// TestRaceForTheLastSlot: 20 customers check out the same home at the
// same start, which one realtor alone can do: exactly one is answered 201
// and charged, the 19 others 409 slot-taken with alternatives and nothing
// charged, and no realtor holds two tours. Repeated on a new day each
// round, 50 rounds: embedded, and on the real servers through two
// processes sharing PostgreSQL, Redis and NATS (two instances of every
// service, the appointment service's included).
func TestRaceForTheLastSlot(t *testing.T) {
	t.Parallel() // one of the package's longest tests: they overlap, each on a system of its own
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			cfg.AdminEmail, cfg.AdminPassword = "root-"+fmt.Sprint(time.Now().UnixNano())+"@example.com", "the admin passphrase"
			cfg.RateLimits = map[string]ratelimit.Policy{"checkout": {Max: 100_000, Period: time.Minute}, "register": {Max: 1000, Period: time.Hour}}
			rounds := 50
			clients := []client{}
			if name == "embedded" {
				_, c := startApp(t, cfg)
				clients = append(clients, c)
			} else {
				cfg.ServiceCredentials = map[string]string{}
				for _, svc := range app.ServiceNames() {
					cfg.ServiceCredentials[svc] = svc + "-race-secret-0123456789"
				}
				for range 2 {
					_, c := startApp(t, cfg)
					clients = append(clients, c)
				}
			}
			if testing.Short() {
				rounds = 3
			}
			c := clients[0]
			w := newWorld(t, c, cfg.AdminEmail, cfg.AdminPassword)
			home := w.listing("Loop loft", 41.8781, -87.6298)
			_, realtorID := w.realtor(41.88, -87.63)
			customers := make([]string, 20)
			for i := range customers {
				customers[i] = w.user("customer", false)
			}
			winners := map[string]bool{}
			for round := range rounds {
				at := localDaysAhead(2+round, 10)
				var (
					wg      sync.WaitGroup
					mu      sync.Mutex
					created []string
				)
				for i, cust := range customers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						cc := clients[i%len(clients)]
						cc.call("POST", "/cart/items", cust, map[string]string{"listing_id": home})
						status, out := cc.raw("POST", "/cart/checkout", cust, map[string]string{"Idempotency-Key": fmt.Sprintf("race-%d-%d-%s", round, i, w.suffix)},
							map[string]string{"scheduled_at": at, "payment_method": "tok_visa"})
						var a struct {
							Type         string           `json:"type"`
							OrderID      string           `json:"order_id"`
							Alternatives []map[string]any `json:"alternatives"`
						}
						_ = json.Unmarshal(out, &a)
						switch {
						case status == 201:
							mu.Lock()
							created = append(created, a.OrderID)
							mu.Unlock()
						case status == 409 && a.Type == "urn:openhouse:problem:slot-taken" && len(a.Alternatives) > 0:
						default:
							t.Errorf("round %d customer %d: %d %s", round, i, status, out)
						}
					}()
				}
				wg.Wait()
				if len(created) != 1 {
					t.Fatalf("round %d: %d checkouts answered 201, want 1", round, len(created))
				}
				winners[created[0]] = true
			}
			// Exactly the winners paid, each once, and every tour went to the
			// one realtor, who holds no two at once.
			var scheduled map[string]bool
			eventually(t, "every winner's tour to be scheduled", 60*time.Second, func() bool {
				paid := 0
				for _, p := range listAll(t, c, "/payments", w.admin) {
					if p["status"] == "succeeded" {
						if !winners[p["order_id"].(string)] {
							t.Fatalf("a payment for a refused checkout: %v", p)
						}
						paid++
					}
				}
				if paid > rounds {
					t.Fatalf("%d payments for %d winners", paid, rounds)
				}
				scheduled = map[string]bool{}
				for _, tr := range listAll(t, c, "/tours", w.admin) {
					if tr["status"] == "scheduled" && tr["realtor_id"] == realtorID {
						scheduled[tr["order_id"].(string)] = true
					}
				}
				return paid == rounds && len(scheduled) == rounds
			})
			for id := range winners {
				if !scheduled[id] {
					t.Fatalf("winner %s has no scheduled tour", id)
				}
			}
		})
	}
}

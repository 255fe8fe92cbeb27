package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/ratelimit"
)

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
}

// raw sends a request with headers and returns status and body.
func (c client) raw(method, path, token string, headers map[string]string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := c.newRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// world is a running system with an admin, a verified provider and a
// customer, and helpers to make listings.
type world struct {
	t        testing.TB
	c        client
	admin    string
	provider string
	customer string
	suffix   string
	n        int
	// emails are the users' addresses by token, to sign them in again.
	emails map[string]string
}

func newWorld(t testing.TB, c client, adminEmail, adminPassword string) *world {
	w := &world{t: t, c: c, suffix: fmt.Sprint(time.Now().UnixNano()), emails: map[string]string{}}
	w.admin = c.login(adminEmail, adminPassword)
	w.provider = w.user("provider", true)
	w.customer = w.user("customer", false)
	return w
}

// user registers someone with a role, verifies them if asked, and signs in.
func (w *world) user(role string, verify bool) string {
	w.t.Helper()
	w.n++
	email := fmt.Sprintf("%s-%d-%s@example.com", role, w.n, w.suffix)
	status, u := w.c.call("POST", "/iam/register", "", map[string]string{"email": email, "password": "a decent passphrase", "name": role, "role": role})
	if status != 201 {
		w.t.Fatalf("register %s = %d %v", role, status, u)
	}
	if verify {
		if status, out := w.c.call("PATCH", "/iam/users/"+u["id"].(string), w.admin, map[string]any{"verified": true}); status != 200 {
			w.t.Fatalf("verify = %d %v", status, out)
		}
	}
	token := w.c.login(email, "a decent passphrase")
	w.emails[token] = email
	return token
}

// again signs the user of token in again (after the app's clock jumped
// past their token's expiry) and returns their new token.
func (w *world) again(token string) string {
	w.t.Helper()
	email, ok := w.emails[token]
	if !ok {
		w.t.Fatal("again: a token the world did not sign in")
	}
	fresh := w.c.login(email, "a decent passphrase")
	w.emails[fresh] = email
	return fresh
}

// listing creates a listing once the listing service has heard that the
// provider is verified.
func (w *world) listing(title string, lat, lng float64) string {
	w.t.Helper()
	body := listingBody(title, lat, lng)
	var id string
	eventually(w.t, "the listing service to accept the verified provider", 10*time.Second, func() bool {
		status, out := w.c.call("POST", "/listings", w.provider, body)
		if status == 201 {
			id = out["id"].(string)
			return true
		}
		if status != 403 {
			w.t.Fatalf("create listing = %d %v", status, out)
		}
		return false
	})
	return id
}

func tomorrowLocal(hour int) string {
	chicago, _ := time.LoadLocation("America/Chicago")
	d := time.Now().In(chicago).AddDate(0, 0, 2)
	return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, chicago).Format(time.RFC3339)
}

// TestCheckoutJourney: from a home on the market to a paid tour request,
// over HTTP only, on embedded defaults and on the real servers.
func TestCheckoutJourney(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			cfg.AdminEmail, cfg.AdminPassword = "root-"+fmt.Sprint(time.Now().UnixNano())+"@example.com", "the admin passphrase"
			_, c := startApp(t, cfg)
			w := newWorld(t, c, cfg.AdminEmail, cfg.AdminPassword)
			home := w.listing("Loop loft", 41.8781, -87.6298)
			near := w.listing("Wicker Park flat", 41.9088, -87.6796)
			w.realtor(41.88, -87.63)

			for _, id := range []string{home, near} {
				if status, out := c.call("POST", "/cart/items", w.customer, map[string]string{"listing_id": id}); status != 200 {
					t.Fatalf("add to cart = %d %v", status, out)
				}
			}
			status, cart := c.call("GET", "/cart", w.customer, nil)
			if status != 200 || cart["total"].(map[string]any)["amount"].(float64) != 5000 {
				t.Fatalf("cart = %d %v", status, cart)
			}

			// 20 concurrent checkouts with one key: one charge, 20 identical answers.
			body := map[string]string{"scheduled_at": tomorrowLocal(10), "payment_method": "tok_visa"}
			key := map[string]string{"Idempotency-Key": "journey-" + w.suffix}
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				answers = map[string]int{}
			)
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					status, out := c.raw("POST", "/cart/checkout", w.customer, key, body)
					mu.Lock()
					answers[fmt.Sprintf("%d %s", status, out)]++
					mu.Unlock()
				}()
			}
			wg.Wait()
			if len(answers) != 1 {
				t.Fatalf("20 checkouts gave %d different answers: %v", len(answers), answers)
			}
			var order struct {
				OrderID string `json:"order_id"`
				Payment struct {
					ID     string `json:"id"`
					Status string `json:"status"`
				} `json:"payment"`
				TourStatus string `json:"tour_status"`
			}
			for a := range answers {
				var status int
				var rest string
				fmt.Sscanf(a, "%d %s", &status, &rest)
				if status != 201 {
					t.Fatalf("checkout = %s", a)
				}
				if err := json.Unmarshal([]byte(a[4:]), &order); err != nil {
					t.Fatal(err)
				}
			}
			if order.Payment.Status != "succeeded" || order.TourStatus != "pending" {
				t.Fatalf("order = %+v", order)
			}
			_, payments := c.call("GET", "/payments?limit=100", w.admin, nil)
			charged := 0
			for _, p := range payments["items"].([]any) {
				if p.(map[string]any)["order_id"] == order.OrderID {
					charged++
				}
			}
			if charged != 1 {
				t.Fatalf("%d payments for the order, want 1", charged)
			}
			if status, _ := c.call("GET", "/payments/"+order.Payment.ID, w.customer, nil); status != 200 {
				t.Fatalf("the customer reading their payment = %d", status)
			}
			if status, _ := c.call("GET", "/payments/"+order.Payment.ID, w.user("customer", false), nil); status != 404 {
				t.Fatalf("another customer reading it = %d, want 404", status)
			}
			if _, cart := c.call("GET", "/cart", w.customer, nil); len(cart["items"].([]any)) != 0 {
				t.Fatalf("cart after checkout = %v", cart)
			}
			eventually(t, "iam to record the payment", 10*time.Second, func() bool {
				_, me := c.call("GET", "/iam/me", w.customer, nil)
				ps := me["records"].(map[string]any)["payments"].([]any)
				return len(ps) == 1 && ps[0].(map[string]any)["payment_id"] == order.Payment.ID
			})

			// A declined card: 402, the cart is kept.
			c.call("POST", "/cart/items", w.customer, map[string]string{"listing_id": home})
			status, out := c.raw("POST", "/cart/checkout", w.customer, map[string]string{"Idempotency-Key": "declined-" + w.suffix},
				map[string]string{"scheduled_at": tomorrowLocal(14), "payment_method": "tok_chargeDeclined"})
			if status != 402 {
				t.Fatalf("declined checkout = %d %s", status, out)
			}
			if _, cart := c.call("GET", "/cart", w.customer, nil); len(cart["items"].([]any)) != 1 {
				t.Fatalf("cart after a decline = %v, want kept", cart)
			}
		})
	}
}

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }

// TestOneCartIsChargedOnceWhateverTheKeys: a double click, two tabs or a
// client that makes a new Idempotency-Key per retry never pays twice. 20
// concurrent checkouts of one cart, 20 keys: exactly one 201, one payment
// and one tour; the others 409 naming that order. Repeated (50 rounds
// embedded; the cart package repeats it 50 times on both engines with two
// instances).
func TestOneCartIsChargedOnceWhateverTheKeys(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			rounds := 50
			if name != "embedded" || testing.Short() {
				rounds = 10
			}
			cfg.AdminEmail, cfg.AdminPassword = "root-"+fmt.Sprint(time.Now().UnixNano())+"@example.com", "the admin passphrase"
			cfg.RateLimits = map[string]ratelimit.Policy{"checkout": {Max: 100_000, Period: time.Minute}}
			_, c := startApp(t, cfg)
			w := newWorld(t, c, cfg.AdminEmail, cfg.AdminPassword)
			home := w.listing("Loop loft", 41.8781, -87.6298)
			w.realtor(41.88, -87.63)
			orders := map[string]bool{}
			for round := range rounds {
				if status, out := c.call("POST", "/cart/items", w.customer, map[string]string{"listing_id": home}); status != 200 {
					t.Fatalf("add to cart = %d %v", status, out)
				}
				body := map[string]string{"scheduled_at": localDaysAhead(2+round, 10), "payment_method": "tok_visa"}
				var (
					wg      sync.WaitGroup
					mu      sync.Mutex
					created []string
				)
				for i := range 20 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						status, out := c.raw("POST", "/cart/checkout", w.customer, map[string]string{"Idempotency-Key": fmt.Sprintf("r%d-k%d-%s", round, i, w.suffix)}, body)
						var a struct {
							Type    string `json:"type"`
							OrderID string `json:"order_id"`
						}
						if err := json.Unmarshal(out, &a); err != nil || a.OrderID == "" || (status != 201 && status != 409) {
							t.Errorf("round %d checkout %d = %d %s", round, i, status, out)
							return
						}
						mu.Lock()
						defer mu.Unlock()
						if status == 201 {
							created = append(created, a.OrderID)
						}
					}()
				}
				wg.Wait()
				if len(created) != 1 {
					t.Fatalf("round %d: %d answers 201, want 1", round, len(created))
				}
				orders[created[0]] = true
			}
			eventually(t, "one payment and one tour per round", 30*time.Second, func() bool {
				paid, tours := map[string]int{}, map[string]int{}
				for _, p := range listAll(t, c, "/payments", w.admin) {
					if orders[p["order_id"].(string)] {
						paid[p["order_id"].(string)]++
					}
				}
				for _, tr := range listAll(t, c, "/tours", w.customer) {
					tours[tr["payment_id"].(string)]++
				}
				for id, n := range paid {
					if n != 1 {
						t.Fatalf("order %s paid %d times", id, n)
					}
				}
				for id, n := range tours {
					if n != 1 {
						t.Fatalf("payment %s has %d tours", id, n)
					}
				}
				return len(paid) == rounds && len(tours) == rounds
			})
		})
	}
}

// localDaysAhead is hour:00 in Chicago, days from today.
func localDaysAhead(days, hour int) string {
	chicago, _ := time.LoadLocation("America/Chicago")
	d := time.Now().In(chicago).AddDate(0, 0, days)
	return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, chicago).Format(time.RFC3339)
}

// listAll pages through a list endpoint.
func listAll(t testing.TB, c client, path, token string) []map[string]any {
	t.Helper()
	var out []map[string]any
	cursor := ""
	for {
		status, page := c.call("GET", path+"?limit=100&cursor="+cursor, token, nil)
		if status != 200 {
			t.Fatalf("GET %s = %d %v", path, status, page)
		}
		for _, it := range page["items"].([]any) {
			out = append(out, it.(map[string]any))
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			return out
		}
		cursor = next
	}
}

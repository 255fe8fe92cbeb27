package cart_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/cart"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/idempotency"
	"github.com/openhouse/openhouse/internal/platform/idempotency/idempotencytest"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestCheckoutHoldsThenOrdersThenCharges: a paid checkout holds a realtor
// for the planned route under the order's id, places the order (its event
// carrying the listing snapshots, the route and the hold) and then charges.
func TestCheckoutHoldsThenOrdersThenCharges(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	ctx := context.Background()
	for _, id := range []string{"loop", "wicker"} {
		if _, err := f.svc.Add(ctx, "cust", id); err != nil {
			t.Fatal(err)
		}
	}
	start := tomorrowAt10()
	answer, err := f.svc.Checkout(ctx, "cust", "k1", cart.CheckoutRequest{ScheduledAt: start, PaymentMethod: "tok_visa"})
	if err != nil || answer.Status != 201 {
		t.Fatalf("checkout = %d %s, %v", answer.Status, answer.Body, err)
	}
	var body cart.CheckoutAnswer
	if err := json.Unmarshal(answer.Body, &body); err != nil {
		t.Fatal(err)
	}
	hold, ok := f.desk.holds[body.OrderID]
	if !ok || !hold.StartsAt.Equal(start) || hold.EndsAt.Sub(hold.StartsAt) != 69*time.Minute || len(hold.Stops) != 2 || hold.ListingIDs[0] != "loop" {
		t.Fatalf("hold = %+v (holds %v), want the order's, 69 minutes from the start, Loop first", hold, f.desk.holds)
	}
	orders := outboxtest.OfType(t, f.db, events.TypeOrderPlaced)
	if len(orders) != 1 {
		t.Fatalf("%d orders placed, want 1", len(orders))
	}
	var o events.OrderPlaced
	if err := orders[0].DataAs(&o); err != nil {
		t.Fatal(err)
	}
	if o.OrderID != body.OrderID || o.HoldID != body.OrderID || o.CustomerID != "cust" || o.Total != usd(4000) ||
		!o.ScheduledAt.Equal(start) || !o.EndsAt.Equal(start.Add(69*time.Minute)) || o.TimeZone != "America/Chicago" {
		t.Fatalf("order = %+v", o)
	}
	if len(o.Stops) != 2 || o.Stops[0].ListingID != "loop" || o.Stops[0].ProviderID != "prov-loop" || o.Stops[0].Address.City != "Chicago" ||
		o.Stops[1].Title != "Home wicker" || !o.Stops[1].Arrive.Equal(start.Add(39*time.Minute)) || o.Stops[1].TourFee != usd(1500) {
		t.Fatalf("order stops = %+v", o.Stops)
	}
	// Replayed: the stored answer; no second order, no second charge.
	if again, err := f.svc.Checkout(ctx, "cust", "k1", cart.CheckoutRequest{ScheduledAt: start, PaymentMethod: "tok_visa"}); err != nil || string(again.Body) != string(answer.Body) {
		t.Fatalf("replay = %s, %v", again.Body, err)
	}
	if n := len(outboxtest.OfType(t, f.db, events.TypeOrderPlaced)); n != 1 || f.ledger.charged() != 1 {
		t.Fatalf("%d orders and %d charges after a replay, want 1 and 1", n, f.ledger.charged())
	}
}

// TestTakenStartChargesNothing: a start nobody can be held for, or one off
// the grid, is answered 409 slot-taken with up to five open slots nearest
// to it; nothing is ordered or charged and the cart is kept.
func TestTakenStartChargesNothing(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	ctx := context.Background()
	if _, err := f.svc.Add(ctx, "cust", "loop"); err != nil {
		t.Fatal(err)
	}
	start := tomorrowAt10()
	f.desk.taken = true
	f.book.closed[start.UTC()] = true
	for name, at := range map[string]time.Time{"taken": start, "off-grid": start.Add(7 * time.Minute)} {
		t.Run(name, func(t *testing.T) {
			answer, err := f.svc.Checkout(ctx, "cust", "k-"+name, cart.CheckoutRequest{ScheduledAt: at, PaymentMethod: "tok_visa"})
			if err != nil || answer.Status != 409 {
				t.Fatalf("checkout = %d %s, %v", answer.Status, answer.Body, err)
			}
			var p struct {
				Type         string      `json:"type"`
				Alternatives []cart.Slot `json:"alternatives"`
			}
			if err := json.Unmarshal(answer.Body, &p); err != nil || p.Type != cart.TypeSlotTaken || len(p.Alternatives) != cart.MaxAlternatives {
				t.Fatalf("answer = %s, %v", answer.Body, err)
			}
			// The nearest open ones: 09:45 and 10:15 first (10:00 is taken).
			first := map[string]bool{p.Alternatives[0].Start.Format("15:04"): true, p.Alternatives[1].Start.Format("15:04"): true}
			if !first["09:45"] || !first["10:15"] || p.Alternatives[0].End.Sub(p.Alternatives[0].Start) != 30*time.Minute {
				t.Fatalf("alternatives = %+v", p.Alternatives)
			}
			if _, off := p.Alternatives[0].Start.Zone(); off != -6*3600 {
				t.Fatalf("alternative %v is not in the homes' zone", p.Alternatives[0].Start)
			}
			// The same key and body replays the answer.
			if again, _ := f.svc.Checkout(ctx, "cust", "k-"+name, cart.CheckoutRequest{ScheduledAt: at, PaymentMethod: "tok_visa"}); string(again.Body) != string(answer.Body) {
				t.Fatalf("replay = %s", again.Body)
			}
		})
	}
	if f.ledger.charged() != 0 || len(outboxtest.OfType(t, f.db, events.TypeOrderPlaced)) != 0 {
		t.Fatalf("%d charges, orders %v", f.ledger.charged(), outboxtest.Types(t, f.db))
	}
	if c, _ := f.svc.Cart(ctx, "cust"); len(c.Items) != 1 {
		t.Fatal("the cart was not kept")
	}
}

// TestDeclinedCardReleasesTheHold: a declined card gives the hold back at
// once and keeps the cart.
func TestDeclinedCardReleasesTheHold(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	ctx := context.Background()
	if _, err := f.svc.Add(ctx, "cust", "loop"); err != nil {
		t.Fatal(err)
	}
	answer, err := f.svc.Checkout(ctx, "cust", "k", cart.CheckoutRequest{ScheduledAt: tomorrowAt10(), PaymentMethod: "tok_chargeDeclined"})
	if err != nil || answer.Status != 402 {
		t.Fatalf("checkout = %d %s, %v", answer.Status, answer.Body, err)
	}
	var p struct {
		OrderID string `json:"order_id"`
	}
	_ = json.Unmarshal(answer.Body, &p)
	if f.desk.released[p.OrderID] != 1 {
		t.Fatalf("released %v, want the order's hold once", f.desk.released)
	}
	if c, _ := f.svc.Cart(ctx, "cust"); len(c.Items) != 1 {
		t.Fatal("the cart was not kept")
	}
}

// TestCartSlots: GET /cart/slots answers a week of starts on the grid in
// the homes' zone, each with its end, and says nothing about realtors;
// bad parameters are 400s and an empty cart is 422.
func TestCartSlots(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	ctx := context.Background()
	c := cartServer(t, f)
	srv, token := c.srv, c.token(t, "cust")
	get := func(query string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", srv.URL+"/cart/slots"+query, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if status, _ := get(""); status != 422 {
		t.Fatalf("empty cart = %d, want 422", status)
	}
	for _, id := range []string{"loop", "wicker"} {
		if _, err := f.svc.Add(ctx, "cust", id); err != nil {
			t.Fatal(err)
		}
	}
	status, out := get("?from=2026-11-26&days=2")
	if status != 200 || out["time_zone"] != "America/Chicago" || out["duration_minutes"] != float64(69) {
		t.Fatalf("slots = %d %v", status, out)
	}
	items := out["items"].([]any)
	// 08:00 to 18:45 (the tour ends by 20:00) every 15 minutes, two days.
	if len(items) != 2*44 {
		t.Fatalf("%d slots, want %d", len(items), 2*44)
	}
	first := items[0].(map[string]any)
	if first["start"] != "2026-11-26T08:00:00-06:00" || first["end"] != "2026-11-26T09:09:00-06:00" || len(first) != 2 {
		t.Fatalf("first slot = %v", first)
	}
	for _, bad := range []string{"?days=0", "?days=15", "?days=x", "?from=tomorrow", "?from=2026-11-26&from=2026-11-27", "?realtor=1"} {
		if status, out := get(bad); status != 400 || out["status"] != float64(400) {
			t.Errorf("%s = %d %v, want a 400 problem", bad, status, out)
		}
	}
	if q := f.book.asked[len(f.book.asked)-1]; len(q.Points) != 2 || q.Step != 15*time.Minute || q.Length != 69*time.Minute {
		t.Fatalf("asked availability %+v", q)
	}
}

// TestSlotTakenIsReplayed: a checkout answered 409 slot-taken is the
// key's answer. The same Idempotency-Key and body again get the same 409,
// byte for byte, with the same headers and Idempotent-Replayed: true, even
// after the slot opened again, and charge nothing; the same key with
// another body is 422; a new key books the now open slot.
func TestSlotTakenIsReplayed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		f := newFixture(t, open)
		ctx := context.Background()
		c := cartServer(t, f)
		srv, token := c.srv, c.token(t, "cust")
		checkout := func(key, body string) (*http.Response, string) {
			req, _ := http.NewRequest("POST", srv.URL+"/cart/checkout", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", key)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			return resp, string(raw)
		}
		if _, err := f.svc.Add(ctx, "cust", "loop"); err != nil {
			t.Fatal(err)
		}
		start := tomorrowAt10()
		f.desk.taken = true
		f.book.closed[start.UTC()] = true
		body := `{"scheduled_at":"` + start.Format(time.RFC3339) + `","payment_method":"tok_visa"}`

		first, firstBody := checkout("k-taken", body)
		if first.StatusCode != 409 || !strings.Contains(firstBody, cart.TypeSlotTaken) || !strings.Contains(firstBody, `"alternatives"`) ||
			first.Header.Get("Content-Type") != httpapi.ProblemContentType || first.Header.Get(idempotency.ReplayedHeader) != "" {
			t.Fatalf("first = %d %v %s", first.StatusCode, first.Header, firstBody)
		}
		// The slot opens; the same key and body still get the first answer.
		f.desk.taken = false
		delete(f.book.closed, start.UTC())
		// The same body with other whitespace and field order means the same.
		same := `{ "payment_method": "tok_visa", "scheduled_at": "` + start.UTC().Format(time.RFC3339) + `" }`
		for i, b := range []string{body, same} {
			again, againBody := checkout("k-taken", b)
			if again.StatusCode != 409 || againBody != firstBody || again.Header.Get("Content-Type") != first.Header.Get("Content-Type") ||
				again.Header.Get("Cache-Control") != "no-store" || again.Header.Get(idempotency.ReplayedHeader) != "true" {
				t.Fatalf("replay %d = %d %v %s, want the first 409 %s", i, again.StatusCode, again.Header, againBody, firstBody)
			}
		}
		other := `{"scheduled_at":"` + start.Add(15*time.Minute).Format(time.RFC3339) + `","payment_method":"tok_visa"}`
		if reused, b := checkout("k-taken", other); reused.StatusCode != 422 {
			t.Fatalf("same key, other body = %d %s, want 422", reused.StatusCode, b)
		}
		if f.ledger.charged() != 0 || len(f.desk.holds) != 0 {
			t.Fatalf("%d charges and holds %v after the replays, want none", f.ledger.charged(), f.desk.holds)
		}
		if booked, b := checkout("k-new", body); booked.StatusCode != 201 || f.ledger.charged() != 1 {
			t.Fatalf("a new key on the open slot = %d %s; %d charges", booked.StatusCode, b, f.ledger.charged())
		}
	})
}

// TestCartKeysPassTheSharedSuite: the cart's idempotency_keys table, as
// the cart's store migrates it, keeps the shared mechanism's contract.
func TestCartKeysPassTheSharedSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		f := newFixture(t, open)
		idempotencytest.Run(t, f.db)
	})
}

package cart_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/cart"
	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/auth/authtest"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// listingAPI serves GET /listings/{id} as the listing service does, and
// can be taken down.
type listingAPI struct {
	listings map[string]clients.Listing
	down     atomic.Bool
	hits     atomic.Int32
}

func (l *listingAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.hits.Add(1)
	if l.down.Load() {
		http.Error(w, "down", http.StatusBadGateway)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/listings/")
	li, ok := l.listings[id]
	if !ok {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(404)
		_, _ = w.Write([]byte(`{"type":"urn:openhouse:problem:not-found","title":"Not Found","status":404}`))
		return
	}
	_ = json.NewEncoder(w).Encode(li)
}

// ledger is a payment service double that charges once per idempotency
// key, as the real one promises, and counts real charges.
type ledger struct {
	mu      sync.Mutex
	charges map[string]clients.Payment
	calls   atomic.Int32
	decline bool
	crash   atomic.Bool // charge, then fail before answering
}

func (l *ledger) Charge(ctx context.Context, key string, req clients.ChargeRequest) (clients.Payment, error) {
	l.calls.Add(1)
	l.mu.Lock()
	p, ok := l.charges[key]
	if !ok {
		if l.decline || req.PaymentMethod == "tok_chargeDeclined" {
			l.mu.Unlock()
			return clients.Payment{}, &clients.Declined{PaymentID: "pay-declined"}
		}
		p = clients.Payment{ID: fmt.Sprintf("pay-%d", len(l.charges)+1), Status: "succeeded", Amount: req.Amount}
		l.charges[key] = p
	}
	l.mu.Unlock()
	if l.crash.Load() {
		return clients.Payment{}, fmt.Errorf("%w: connection reset", clients.ErrUnavailable)
	}
	return p, nil
}

func (l *ledger) charged() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.charges)
}

// desk is an appointment service double: it holds whatever is asked,
// once per hold id, unless told the time is taken; it counts holds given
// back. (The real one is exercised over HTTP in internal/app.)
type desk struct {
	mu       sync.Mutex
	holds    map[string]clients.HoldRequest
	released map[string]int
	taken    bool
	full     bool // refuse holds with day limits, as a home at its most showings
	// days are the showings per home and local day ShowingDays answers.
	days    map[string]map[string]int
	dayAsks int
}

func (d *desk) ShowingDays(ctx context.Context, ids []string, zone string, first time.Time, days int, except string) (map[string]map[string]int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dayAsks++
	out := map[string]map[string]int{}
	for _, id := range ids {
		out[id] = d.days[id]
	}
	return out, nil
}

func (d *desk) PlaceHold(ctx context.Context, req clients.HoldRequest) (clients.Hold, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.taken {
		return clients.Hold{}, clients.ErrNoRealtor
	}
	if d.full && len(req.Limits) > 0 {
		return clients.Hold{}, clients.FullError{ListingID: req.Limits[0].ListingID}
	}
	d.holds[req.HoldID] = req
	return clients.Hold{HoldID: req.HoldID, Status: "held", StartsAt: req.StartsAt, EndsAt: req.EndsAt, ExpiresAt: req.StartsAt}, nil
}

func (d *desk) ReleaseHold(ctx context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.released[id]++
	return nil
}

// openBook is an availability double: every start asked for is open,
// except those in closed.
type openBook struct {
	mu     sync.Mutex
	closed map[time.Time]bool
	asked  []clients.SlotQuery
}

func (o *openBook) Slots(ctx context.Context, q clients.SlotQuery) ([]time.Time, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.asked = append(o.asked, q)
	var out []time.Time
	for _, r := range q.Ranges {
		for t := r.From; !t.After(r.To); t = t.Add(q.Step) {
			if !o.closed[t.UTC()] {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

type fixture struct {
	db       *store.DB
	store    *cart.SQLStore
	svc      *cart.Service
	listings *listingAPI
	ledger   *ledger
	desk     *desk
	book     *openBook
	clock    *clock.Fake
	client   *clients.Listings
}

// peers are the fixture's doubles, with charges going to charger.
func (f *fixture) peers(charger cart.Charger) cart.Peers {
	return cart.Peers{Listings: f.client, Payments: charger, Holds: f.desk, Slots: f.book}
}

func newFixture(t *testing.T, open storetest.Opener) *fixture {
	t.Helper()
	db := open(t, "cart")
	if err := outbox.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return newFixtureOn(t, db, clock.NewFake(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)))
}

// serviceOn is another cart instance, on st, with the fixture's peers.
func (f *fixture) serviceOn(t *testing.T, st cart.Store) *cart.Service {
	t.Helper()
	svc, err := cart.New(st, f.peers(f.ledger), cart.Config{Clock: f.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Lease: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func newFixtureOn(t *testing.T, db *store.DB, c *clock.Fake) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := cart.NewSQLStore(ctx, db, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	api := &listingAPI{listings: map[string]clients.Listing{}}
	for _, it := range []cart.Item{loop, wicker, evanston, milwaukee} {
		api.listings[it.ListingID] = clients.Listing{ID: it.ListingID, ProviderID: "prov-" + it.ListingID, Title: "Home " + it.ListingID, Status: "active",
			TourFee: it.TourFee, Location: it.Location, TimeZone: it.TimeZone, Address: events.ListingAddress{Line1: "1 " + it.ListingID + " St", City: "Chicago"}}
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	lc := clients.NewListings(srv.URL, srv.Client(), nil, clients.Options{Retries: 1, Backoff: time.Millisecond, BreakerFailures: 3, BreakerOpen: 50 * time.Millisecond})
	f := &fixture{db: db, store: st, listings: api, ledger: &ledger{charges: map[string]clients.Payment{}}, clock: c, client: lc,
		desk: &desk{holds: map[string]clients.HoldRequest{}, released: map[string]int{}}, book: &openBook{closed: map[time.Time]bool{}}}
	f.svc, err = cart.New(st, f.peers(f.ledger), cart.Config{Clock: c, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Lease: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func tomorrowAt10() time.Time {
	chicago, _ := time.LoadLocation("America/Chicago")
	return time.Date(2026, 11, 26, 10, 0, 0, 0, chicago)
}

func TestCheckoutIdempotency(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		f := newFixture(t, open)
		ctx := context.Background()
		for _, id := range []string{"loop", "wicker"} {
			if _, err := f.svc.Add(ctx, "cust", id); err != nil {
				t.Fatal(err)
			}
		}
		req := cart.CheckoutRequest{ScheduledAt: tomorrowAt10(), PaymentMethod: "tok_visa"}

		// 20 concurrent requests with one key: one charge, 20 identical answers.
		const n = 20
		answers := make([]cart.Answer, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i], errs[i] = f.svc.Checkout(ctx, "cust", "key-1", req)
			}()
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("request %d: %v", i, errs[i])
			}
			if answers[i].Status != 201 || string(answers[i].Body) != string(answers[0].Body) {
				t.Fatalf("answer %d = %d %s, want the same 201 as %s", i, answers[i].Status, answers[i].Body, answers[0].Body)
			}
		}
		if got := f.ledger.charged(); got != 1 {
			t.Fatalf("%d charges, want 1", got)
		}
		var body cart.CheckoutAnswer
		if err := json.Unmarshal(answers[0].Body, &body); err != nil || body.Total != usd(4000) || body.TourStatus != "pending" || body.OrderID == "" {
			t.Fatalf("answer = %+v, %v", body, err)
		}
		if c, _ := f.svc.Cart(ctx, "cust"); len(c.Items) != 0 {
			t.Fatalf("cart after checkout = %v, want empty", c.Items)
		}

		// The same key later: the stored answer, no charge, although the
		// cart is empty now.
		again, err := f.svc.Checkout(ctx, "cust", "key-1", req)
		if err != nil || string(again.Body) != string(answers[0].Body) || f.ledger.charged() != 1 {
			t.Fatalf("replay = %d %s, %v; charges %d", again.Status, again.Body, err, f.ledger.charged())
		}
		// The same key with another body is refused.
		other := req
		other.ScheduledAt = req.ScheduledAt.Add(time.Hour)
		if _, err := f.svc.Checkout(ctx, "cust", "key-1", other); !errors.Is(err, cart.ErrKeyReused) {
			t.Fatalf("reused key = %v, want ErrKeyReused", err)
		}
		// Another customer's same key is theirs alone.
		if _, err := f.svc.Checkout(ctx, "someone-else", "key-1", req); !errors.Is(err, cart.ErrEmpty) {
			t.Fatalf("another customer's key = %v, want their own (empty cart) answer", err)
		}
	})
}

func TestCheckoutResumesAfterCrash(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		f := newFixture(t, open)
		ctx := context.Background()
		if _, err := f.svc.Add(ctx, "cust", "loop"); err != nil {
			t.Fatal(err)
		}
		req := cart.CheckoutRequest{ScheduledAt: tomorrowAt10(), PaymentMethod: "tok_visa"}
		// The payment goes through but the answer is lost.
		f.ledger.crash.Store(true)
		if _, err := f.svc.Checkout(ctx, "cust", "key-2", req); !errors.Is(err, clients.ErrUnavailable) {
			t.Fatalf("first attempt = %v, want unavailable", err)
		}
		if f.ledger.charged() != 1 {
			t.Fatal("the first attempt did not charge")
		}
		f.ledger.crash.Store(false)
		// The retry resumes the checkout: the stored charge, not a new one.
		answer, err := f.svc.Checkout(ctx, "cust", "key-2", req)
		if err != nil || answer.Status != 201 {
			t.Fatalf("retry = %d %s, %v", answer.Status, answer.Body, err)
		}
		if f.ledger.charged() != 1 {
			t.Fatalf("%d charges after the retry, want 1", f.ledger.charged())
		}
	})
}

// TestCheckoutLeaseTakeover: a request that holds a key and then hangs (its
// process died mid-payment) blocks others only until its lease ends; then
// a retry takes the checkout over and finishes it, charging once.
func TestCheckoutLeaseTakeover(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	ctx := context.Background()
	if _, err := f.svc.Add(ctx, "cust", "loop"); err != nil {
		t.Fatal(err)
	}
	req := cart.CheckoutRequest{ScheduledAt: tomorrowAt10(), PaymentMethod: "tok_visa"}
	entered := make(chan struct{})
	hung, err := cart.New(f.store, f.peers(chargerFunc(func(ctx context.Context, _ string, _ clients.ChargeRequest) (clients.Payment, error) {
		close(entered)
		<-ctx.Done()
		return clients.Payment{}, ctx.Err()
	})), cart.Config{Clock: f.clock, Lease: 30 * time.Second, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hangCtx, kill := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := hung.Checkout(hangCtx, "cust", "key-3", req); done <- err }()
	<-entered

	impatient, err := cart.New(f.store, f.peers(f.ledger), cart.Config{Clock: f.clock, Wait: 50 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	// The repeat waits on the clock (its wait and its poll), and past
	// its wait, the lease still running, gives up.
	waiters := f.clock.Waiters()
	impatientDone := make(chan error, 1)
	go func() { _, err := impatient.Checkout(ctx, "cust", "key-3", req); impatientDone <- err }()
	if !f.clock.WaitForWaiters(waiters+2, time.After(10*time.Second)) {
		t.Fatal("the repeat did not wait on the clock")
	}
	f.clock.Advance(50 * time.Millisecond)
	if err := <-impatientDone; !errors.Is(err, cart.ErrInProgress) {
		t.Fatalf("while the lease holds = %v, want ErrInProgress", err)
	}
	f.clock.Advance(31 * time.Second)
	answer, err := f.svc.Checkout(ctx, "cust", "key-3", req)
	if err != nil || answer.Status != 201 {
		t.Fatalf("after the lease = %d, %v", answer.Status, err)
	}
	kill()
	<-done
	if again, _ := f.svc.Checkout(ctx, "cust", "key-3", req); string(again.Body) != string(answer.Body) {
		t.Fatal("the hung request's end changed the stored answer")
	}
	if f.ledger.charged() != 1 {
		t.Fatalf("%d charges, want 1", f.ledger.charged())
	}
}

type chargerFunc func(ctx context.Context, key string, r clients.ChargeRequest) (clients.Payment, error)

func (f chargerFunc) Charge(ctx context.Context, key string, r clients.ChargeRequest) (clients.Payment, error) {
	return f(ctx, key, r)
}

func TestCheckoutRules(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	ctx := context.Background()
	req := cart.CheckoutRequest{ScheduledAt: tomorrowAt10(), PaymentMethod: "tok_visa"}
	if _, err := f.svc.Checkout(ctx, "cust", "k", req); !errors.Is(err, cart.ErrEmpty) {
		t.Fatalf("empty cart = %v", err)
	}
	if _, err := f.svc.Add(ctx, "cust", "loop"); err != nil {
		t.Fatal(err)
	}
	var rule cart.RuleError
	past := req
	past.ScheduledAt = f.clock.Now().Add(-time.Hour)
	if _, err := f.svc.Checkout(ctx, "cust", "k", past); !errors.As(err, &rule) || rule.Field != "scheduled_at" {
		t.Fatalf("past time = %v", err)
	}
	// A refused request uses up nothing: the key still works.
	if a, err := f.svc.Checkout(ctx, "cust", "k", req); err != nil || a.Status != 201 {
		t.Fatalf("after a refused request the key = %v", err)
	}
	for _, bad := range []string{"", strings.Repeat("k", 256), "with space", "tab\t"} {
		if _, err := f.svc.Checkout(ctx, "cust", bad, req); !errors.Is(err, cart.ErrBadKey) {
			t.Errorf("key %q = %v, want ErrBadKey", bad, err)
		}
	}
	// A declined payment keeps the cart and remembers the 402.
	if _, err := f.svc.Add(ctx, "cust", "wicker"); err != nil {
		t.Fatal(err)
	}
	declined := req
	declined.PaymentMethod = "tok_chargeDeclined"
	a, err := f.svc.Checkout(ctx, "cust", "k2", declined)
	if err != nil || a.Status != 402 {
		t.Fatalf("declined = %d %s, %v", a.Status, a.Body, err)
	}
	if c, _ := f.svc.Cart(ctx, "cust"); len(c.Items) != 1 {
		t.Fatalf("cart after a decline = %v, want kept", c.Items)
	}
	if b, _ := f.svc.Checkout(ctx, "cust", "k2", declined); string(b.Body) != string(a.Body) || b.Status != 402 {
		t.Fatal("the declined answer was not kept for the key")
	}
}

// TestListingOutage: while the listing service is down, adding to the cart
// answers 503 at once once the breaker opens, and works again after it
// recovers.
func TestListingOutage(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	ctx := context.Background()
	f.listings.down.Store(true)
	for i := range 3 {
		if _, err := f.svc.Add(ctx, "cust", "loop"); !errors.Is(err, clients.ErrUnavailable) {
			t.Fatalf("add %d while down = %v, want unavailable", i, err)
		}
	}
	if !f.client.BreakerOpen() {
		t.Fatal("the breaker did not open after repeated failures")
	}
	hits := f.listings.hits.Load()
	if _, err := f.svc.Add(ctx, "cust", "loop"); !errors.Is(err, clients.ErrUnavailable) {
		t.Fatalf("add with the breaker open = %v", err)
	}
	if f.listings.hits.Load() != hits {
		t.Fatal("the open breaker still called the listing service")
	}
	f.listings.down.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := f.svc.Add(ctx, "cust", "loop")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the breaker never recovered: %v", err)
		}
		time.Sleep(10 * time.Millisecond) // the breaker's own (real) timer
	}
	if c, _ := f.svc.Cart(ctx, "cust"); len(c.Items) != 1 {
		t.Fatalf("cart = %v", c.Items)
	}
}

// TestOneCartChecksOutOnce: a cart is paid for once whatever the keys. 20
// checkouts of one cart, each with its own Idempotency-Key, spread over
// two cart instances sharing the database: exactly one 201 and one
// charge; every other request gets 409 naming the same order. Repeated,
// since what it guards against is an interleaving.
func TestOneCartChecksOutOnce(t *testing.T) {
	storetest.RunPair(t, func(t *testing.T, open storetest.PairOpener) {
		ctx := context.Background()
		dbA, dbB := open(t, "cart")
		for _, db := range []*store.DB{dbA, dbB} {
			if err := outbox.Migrate(ctx, db); err != nil {
				t.Fatal(err)
			}
		}
		c := clock.NewFake(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
		fa := newFixtureOn(t, dbA, c)
		stB, err := cart.NewSQLStore(ctx, dbB, c.Now)
		if err != nil {
			t.Fatal(err)
		}
		instances := []*cart.Service{fa.svc, fa.serviceOn(t, stB)}
		req := cart.CheckoutRequest{ScheduledAt: tomorrowAt10(), PaymentMethod: "tok_visa"}
		rounds := 50
		if testing.Short() {
			rounds = 5
		}
		for round := range rounds {
			customer := fmt.Sprintf("cust-%d", round)
			if _, err := fa.svc.Add(ctx, customer, "loop"); err != nil {
				t.Fatal(err)
			}
			before := fa.ledger.charged()
			const n = 20
			answers := make([]cart.Answer, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var err error
					answers[i], err = instances[i%2].Checkout(ctx, customer, fmt.Sprintf("key-%d", i), req)
					if err != nil {
						t.Errorf("round %d request %d: %v", round, i, err)
					}
				}()
			}
			wg.Wait()
			created, orders := 0, map[string]bool{}
			for i, a := range answers {
				var body struct {
					Type    string `json:"type"`
					OrderID string `json:"order_id"`
				}
				if err := json.Unmarshal(a.Body, &body); err != nil || body.OrderID == "" {
					t.Fatalf("round %d answer %d = %d %s", round, i, a.Status, a.Body)
				}
				orders[body.OrderID] = true
				switch {
				case a.Status == 201:
					created++
				case a.Status == 409 && (body.Type == cart.TypeCheckoutInProgress || body.Type == cart.TypeAlreadyCheckedOut):
				default:
					t.Fatalf("round %d answer %d = %d %s, want 201 or 409 naming the order", round, i, a.Status, a.Body)
				}
			}
			if created != 1 || len(orders) != 1 {
				t.Fatalf("round %d: %d answers 201 over %d orders, want 1 and 1", round, created, len(orders))
			}
			if got := fa.ledger.charged() - before; got != 1 {
				t.Fatalf("round %d: %d charges, want 1", round, got)
			}
		}
	})
}

// TestAbandonedCheckoutIsFinishedByTheNextRequest: a checkout whose request
// died after charging blocks nobody past its lease, and is not charged
// again by a request with another key: that request finishes it and is
// told its order.
func TestAbandonedCheckoutIsFinishedByTheNextRequest(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	ctx := context.Background()
	if _, err := f.svc.Add(ctx, "cust", "loop"); err != nil {
		t.Fatal(err)
	}
	req := cart.CheckoutRequest{ScheduledAt: tomorrowAt10(), PaymentMethod: "tok_visa"}
	f.ledger.crash.Store(true) // charged, then the answer is lost
	if _, err := f.svc.Checkout(ctx, "cust", "first-key", req); !errors.Is(err, clients.ErrUnavailable) {
		t.Fatalf("first attempt = %v, want unavailable", err)
	}
	f.ledger.crash.Store(false)
	other := req
	other.ScheduledAt = req.ScheduledAt.Add(time.Hour) // a new key may well carry another body
	answer, err := f.svc.Checkout(ctx, "cust", "second-key", other)
	if err != nil || answer.Status != 409 || !strings.Contains(string(answer.Body), cart.TypeAlreadyCheckedOut) {
		t.Fatalf("second key = %d %s, %v; want 409 already checked out", answer.Status, answer.Body, err)
	}
	if f.ledger.charged() != 1 {
		t.Fatalf("%d charges, want 1", f.ledger.charged())
	}
	if c, _ := f.svc.Cart(ctx, "cust"); len(c.Items) != 0 {
		t.Fatalf("cart = %v, want emptied by the finished checkout", c.Items)
	}
	// The first key replays its own (now stored) answer.
	if again, err := f.svc.Checkout(ctx, "cust", "first-key", req); err != nil || again.Status != 201 {
		t.Fatalf("first key again = %d %s, %v", again.Status, again.Body, err)
	}
	// Long after, an empty cart is an empty cart.
	f.clock.Advance(cart.RecentOrder + time.Second)
	if _, err := f.svc.Checkout(ctx, "cust", "third-key", req); !errors.Is(err, cart.ErrEmpty) {
		t.Fatalf("much later = %v, want ErrEmpty", err)
	}
}

// TestRunSweepsOldKeys: the cart's worker sweeps, on the service's clock,
// the keys answered or abandoned more than KeepKeys ago with their
// checkouts, and keeps the young ones: an old key then starts anew.
func TestRunSweepsOldKeys(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		f := newFixture(t, open)
		ctx := context.Background()
		req := cart.CheckoutRequest{ScheduledAt: tomorrowAt10(), PaymentMethod: "tok_visa"}
		if _, err := f.svc.Add(ctx, "cust", "loop"); err != nil {
			t.Fatal(err)
		}
		if a, err := f.svc.Checkout(ctx, "cust", "old", req); err != nil || a.Status != 201 {
			t.Fatalf("checkout = %d, %v", a.Status, err)
		}
		f.clock.Advance(47 * time.Hour)
		if _, err := f.svc.Add(ctx, "cust", "wicker"); err != nil {
			t.Fatal(err)
		}
		later := cart.CheckoutRequest{ScheduledAt: tomorrowAt10().AddDate(0, 0, 2), PaymentMethod: "tok_visa"}
		young, err := f.svc.Checkout(ctx, "cust", "young", later)
		if err != nil || young.Status != 201 {
			t.Fatalf("young checkout = %d %s, %v", young.Status, young.Body, err)
		}
		f.clock.Advance(2 * time.Hour) // "old" is 49 h old, "young" 2 h

		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		waiters := f.clock.Waiters()
		go func() { done <- f.svc.Run(runCtx) }()
		// Run sweeps, then waits an hour on the clock.
		if !f.clock.WaitForWaiters(waiters+1, time.After(10*time.Second)) {
			t.Fatal("Run did not sweep and wait")
		}
		stop()
		<-done

		// The old key is forgotten: the same request is new (an empty cart
		// now), while the young one still replays.
		if _, err := f.svc.Checkout(ctx, "cust", "old", req); !errors.Is(err, cart.ErrEmpty) {
			t.Fatalf("the swept key = %v, want a new request (empty cart)", err)
		}
		again, err := f.svc.Checkout(ctx, "cust", "young", later)
		if err != nil || string(again.Body) != string(young.Body) || !again.Replayed {
			t.Fatalf("the young key = %d %s, %v; want its replay", again.Status, again.Body, err)
		}
	})
}

// cartHTTP is the cart service behind its routes and the bearer-token check,
// as clients reach it.
type cartHTTP struct {
	srv    *httptest.Server
	issuer *auth.Issuer
}

func cartServer(t *testing.T, f *fixture) cartHTTP {
	srv, issuer := authtest.Serve(t, f.svc.Routes(), f.clock)
	return cartHTTP{srv: srv, issuer: issuer}
}

// token signs in customer.
func (c cartHTTP) token(t *testing.T, customer string) string {
	t.Helper()
	tok, _, err := c.issuer.Issue(auth.Principal{ID: customer, Role: auth.RoleCustomer})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// checkout posts POST /cart/checkout as customer and decodes the answer.
func (c cartHTTP) checkout(t *testing.T, customer, key string, at time.Time) (int, map[string]any) {
	t.Helper()
	tok := c.token(t, customer)
	body, _ := json.Marshal(map[string]any{"scheduled_at": at, "payment_method": "tok_visa"})
	req, _ := http.NewRequest("POST", c.srv.URL+"/cart/checkout", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Idempotency-Key", strings.NewReplacer(" ", "-", "(", "", ")", "", ",", "", ":", "").Replace(key))
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%d %s: %v", resp.StatusCode, raw, err)
	}
	return resp.StatusCode, out
}

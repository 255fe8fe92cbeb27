package tour

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// refunds is a payment service double: it refunds once per idempotency key,
// as the real one promises, and can refuse.
type refunds struct {
	mu     sync.Mutex
	byKey  map[string]clients.RefundRequest
	refuse error
}

func (r *refunds) Refund(_ context.Context, paymentID, key string, req clients.RefundRequest) (clients.Payment, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse != nil {
		return clients.Payment{}, r.refuse
	}
	r.byKey[key] = req
	return clients.Payment{ID: paymentID, Status: "refunded"}, nil
}

func (r *refunds) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byKey)
}

// desk is an appointment service double: it holds whatever is asked unless
// the time is taken, and counts holds given back.
type desk struct {
	mu       sync.Mutex
	holds    map[string]clients.HoldRequest
	released []string
	taken    bool
	// full refuses holds with day limits, as a home at its most showings;
	// days are the showings per home and day ShowingDays answers.
	full bool
	days map[string]map[string]int
}

func (d *desk) PlaceHold(_ context.Context, req clients.HoldRequest) (clients.Hold, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.taken {
		return clients.Hold{}, clients.ErrNoRealtor
	}
	if d.full && len(req.Limits) > 0 {
		return clients.Hold{}, clients.FullError{ListingID: req.Limits[0].ListingID}
	}
	d.holds[req.HoldID] = req
	return clients.Hold{HoldID: req.HoldID, TourID: req.TourID, Status: "held", StartsAt: req.StartsAt, EndsAt: req.EndsAt}, nil
}

func (d *desk) ShowingDays(_ context.Context, ids []string, _ string, _ time.Time, _ int, except string) (map[string]map[string]int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]map[string]int{}
	for _, id := range ids {
		out[id] = d.days[id]
	}
	return out, nil
}

func (d *desk) ReleaseHold(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.released = append(d.released, id)
	return nil
}

// openBook is an availability double: every start asked for is open.
type openBook struct{}

func (openBook) Slots(_ context.Context, q clients.SlotQuery) ([]time.Time, error) {
	var out []time.Time
	for _, r := range q.Ranges {
		for t := r.From; !t.After(r.To); t = t.Add(q.Step) {
			out = append(out, t)
		}
	}
	return out, nil
}

// lockboxes is a listing service double for homes' access and showing
// rules; a home without rules is not found (no rules).
type lockboxes struct {
	mu     sync.Mutex
	byHome map[string]clients.ListingAccess
	rules  map[string]events.Showing
}

func (l *lockboxes) Get(_ context.Context, listingID string) (clients.Listing, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.rules[listingID]
	if !ok {
		return clients.Listing{}, clients.ErrNotFound
	}
	return clients.Listing{ID: listingID, Showing: r}, nil
}

// setRules gives a home showing rules.
func (l *lockboxes) setRules(listingID string, r events.Showing) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rules == nil {
		l.rules = map[string]events.Showing{}
	}
	l.rules[listingID] = r
}

func (l *lockboxes) Access(_ context.Context, listingID string) (clients.ListingAccess, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.byHome[listingID]
	if !ok {
		return clients.ListingAccess{}, clients.ErrNotFound
	}
	return a, nil
}

// harness is the tour service on SQLite with its peers doubled and a fake
// clock (Wednesday 25 November 2026, 06:00 in Chicago).
type harness struct {
	t       *testing.T
	db      *store.DB
	store   *SQLStore
	svc     *Service
	clock   *clock.Fake
	refunds *refunds
	desk    *desk
	access  *lockboxes
	n       int
	// sweep is the worker's interval (0: the service's default).
	sweep time.Duration
}

func newHarness(t *testing.T) *harness { return newHarnessOn(t, storetest.OpenSQLite) }

// newHarnessOn is the harness on a database of open's engine.
func newHarnessOn(t *testing.T, open storetest.Opener) *harness {
	t.Helper()
	db := open(t, "tour")
	if err := outbox.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, db: db, clock: clock.NewFake(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)),
		refunds: &refunds{byKey: map[string]clients.RefundRequest{}}, desk: &desk{holds: map[string]clients.HoldRequest{}},
		access: &lockboxes{byHome: map[string]clients.ListingAccess{}}}
	h.restart()
	return h
}

// restart builds the store and the service again on the same database,
// as a process that starts again does.
func (h *harness) restart() {
	h.t.Helper()
	var err error
	if h.store, err = NewSQLStore(context.Background(), h.db, h.clock.Now); err != nil {
		h.t.Fatal(err)
	}
	h.svc, err = New(h.store, Peers{Payments: h.refunds, Holds: h.desk, Slots: openBook{}, Access: h.access, Listings: h.access},
		Config{Clock: h.clock, Sweep: h.sweep, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		h.t.Fatal(err)
	}
}

// deliver hands the service an event of its subscriptions, as the bus
// would.
func (h *harness) deliver(typ, subject string, data any) error {
	h.t.Helper()
	ev, err := bus.NewEvent(context.Background(), typ, subject, data, h.clock.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	return h.redeliver(ev)
}

// redeliver hands the service an event it published or was sent.
func (h *harness) redeliver(ev bus.Event) error {
	h.t.Helper()
	for _, sub := range h.svc.Subscriptions() {
		if handle, ok := sub.Handlers[ev.Type()]; ok {
			return handle(context.Background(), ev)
		}
	}
	h.t.Fatalf("the service does not consume %s", ev.Type())
	return nil
}

// order is a one-home cart order starting at start, placed by customer.
func (h *harness) order(customer string, start time.Time) events.OrderPlaced {
	h.n++
	return oneHomeOrder(fmt.Sprintf("order-%d", h.n), customer, start)
}

// oneHomeOrder is a cart order for the Loft, 30 minutes from start.
func oneHomeOrder(id, customer string, start time.Time) events.OrderPlaced {
	return events.OrderPlaced{OrderID: id, CustomerID: customer, TimeZone: "America/Chicago",
		ScheduledAt: start, EndsAt: start.Add(30 * time.Minute), Total: usd(4000), HoldID: id,
		Stops: []events.OrderStop{{ListingID: "l-1", ProviderID: "prov-1", Title: "Loft",
			Location: events.GeoPoint{Lat: 41.88, Lng: -87.63}, TourFee: usd(4000), Arrive: start, Leave: start.Add(30 * time.Minute)}}}
}

// place and pay deliver the order's two halves as their events would.
func (h *harness) place(o events.OrderPlaced) error { return place(h.svc, o) }

func (h *harness) pay(o events.OrderPlaced) error { return pay(h.svc, o) }

func place(svc *Service, o events.OrderPlaced) error {
	return svc.ApplyOrder(context.Background(), "placed-"+o.OrderID, o.OrderID, func(ord *order, now time.Time) { ord.Place(o, now) })
}

func pay(svc *Service, o events.OrderPlaced) error {
	return svc.ApplyOrder(context.Background(), "paid-"+o.OrderID, o.OrderID, func(ord *order, now time.Time) {
		ord.Pay("pay-"+o.OrderID, o.Total, now)
	})
}

// placeAndPay makes the order's tour.
func placeAndPay(svc *Service, o events.OrderPlaced) error {
	if err := place(svc, o); err != nil {
		return err
	}
	return pay(svc, o)
}

// book makes a paid tour for customer at start.
func (h *harness) book(customer string, start time.Time) tour {
	h.t.Helper()
	o := h.order(customer, start)
	if err := h.place(o); err != nil {
		h.t.Fatal(err)
	}
	if err := h.pay(o); err != nil {
		h.t.Fatal(err)
	}
	tr, err := h.store.Get(context.Background(), o.OrderID)
	if err != nil {
		h.t.Fatal(err)
	}
	return tr
}

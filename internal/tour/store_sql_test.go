package tour

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// storeAt is an SQLStore on a fresh database of open's engine, with its
// outbox, and the time it was opened at.
func storeAt(t *testing.T, open storetest.Opener) (*SQLStore, *store.DB, time.Time) {
	t.Helper()
	ctx := context.Background()
	db := open(t, "tour")
	if err := outbox.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	st, err := NewSQLStore(ctx, db, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	return st, db, now
}

// storedTour is a tour of customer's visiting the homes (listing and
// provider ids, in pairs) from start, in status.
func storedTour(id, customer string, start time.Time, status status, homes ...string) tour {
	tr := tour{ID: id, CustomerID: customer, PaymentID: "pay-" + id, OrderID: "ord-" + id, Paid: usd(4000), TimeZone: "America/Chicago",
		ScheduledAt: start, EndsAt: start.Add(time.Hour), Status: status, Version: 1,
		CreatedAt: start.Add(-96 * time.Hour), UpdatedAt: start.Add(-96 * time.Hour)}
	for i := 0; i+1 < len(homes); i += 2 {
		tr.Stops = append(tr.Stops, stop{ListingID: homes[i], ProviderID: homes[i+1], Title: "Home " + homes[i],
			Location: loop, Arrive: start, Leave: start.Add(30 * time.Minute), Fee: usd(2000)})
	}
	return tr
}

func idsOf(tours []tour) []string {
	out := make([]string, len(tours))
	for i, t := range tours {
		out[i] = t.ID
	}
	return out
}

// TestStoreKeepsToursWithTheirEvents: on each engine a tour reads back as
// it was written, one tour per payment, and a change is saved with its
// events in one transaction, once per event id, or not at all when it
// fails.
func TestStoreKeepsToursWithTheirEvents(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		st, db, now := storeAt(t, open)
		event := func(typ, id string) bus.Event {
			ev, err := bus.NewEvent(ctx, typ, id, events.TourScheduled{Tour: events.Tour{TourID: id}}, now)
			if err != nil {
				t.Fatal(err)
			}
			return ev
		}
		a := storedTour("a", "cust-1", now.Add(48*time.Hour), statusUnassigned, "l-1", "prov-1", "l-2", "prov-1")
		a.UnassignedAt, a.AssignmentAt, a.Refund, a.StopsRefunded, a.FirstAssignedAt = now, now.Add(-time.Minute), usd(0), usd(1000), now.Add(-time.Hour)
		if err := st.Create(ctx, a, event(events.TypeTourCreated, "a")); err != nil {
			t.Fatal(err)
		}
		twin := storedTour("twin", "cust-1", now.Add(48*time.Hour), statusPending, "l-1", "prov-1")
		twin.PaymentID = a.PaymentID
		if err := st.Create(ctx, twin, event(events.TypeTourCreated, "twin")); !errors.Is(err, errAlreadyExists) {
			t.Fatalf("a second tour for one payment = %v", err)
		}
		if got, err := st.Get(ctx, "a"); err != nil || !reflect.DeepEqual(got, a) {
			t.Fatalf("read back:\n%+v, %v\nwant\n%+v", got, err, a)
		}
		if n := len(outboxtest.OfType(t, db, events.TypeTourCreated)); n != 1 {
			t.Fatalf("%d tour.created, want the first tour's only", n)
		}
		for _, id := range []string{"twin", "nobody"} {
			if _, err := st.Get(ctx, id); !errors.Is(err, errNotFound) {
				t.Fatalf("Get(%s) = %v", id, err)
			}
		}
		if _, err := st.Update(ctx, "nobody", "", func(*tour) ([]bus.Event, error) { return nil, nil }); !errors.Is(err, errNotFound) {
			t.Fatalf("Update of no tour = %v", err)
		}

		calls := 0
		assign := func(tr *tour) ([]bus.Event, error) {
			calls++
			tr.Status, tr.RealtorID = statusScheduled, "r-1"
			tr.Version++
			return []bus.Event{event(events.TypeTourScheduled, tr.ID)}, nil
		}
		for range 2 {
			if _, err := st.Update(ctx, "a", "appt-1", assign); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := st.Get(ctx, "a")
		if calls != 1 || got.Version != 2 || got.RealtorID != "r-1" || len(outboxtest.OfType(t, db, events.TypeTourScheduled)) != 1 {
			t.Fatalf("one event applied twice: %d calls, v%d %q, %d events", calls, got.Version, got.RealtorID,
				len(outboxtest.OfType(t, db, events.TypeTourScheduled)))
		}

		refused := errors.New("refused")
		if _, err := st.Update(ctx, "a", "appt-2", func(tr *tour) ([]bus.Event, error) {
			tr.Status = statusCancelled
			tr.Version++
			return []bus.Event{event(events.TypeTourCancelled, "a")}, refused
		}); !errors.Is(err, refused) {
			t.Fatalf("a failing change = %v", err)
		}
		if got, _ := st.Get(ctx, "a"); got.Status != statusScheduled || len(outboxtest.OfType(t, db, events.TypeTourCancelled)) != 0 {
			t.Fatalf("a failed change was kept: %s", got.Status)
		}
		// The failed event is not marked taken: it applies when retried.
		if _, err := st.Update(ctx, "a", "appt-2", assign); err != nil || calls != 2 {
			t.Fatalf("retry of a failed event: %v, %d calls", err, calls)
		}
	})
}

// TestStoreFindsToursForTheWorkerAndConsumers: on each engine the lists
// narrow by customer, realtor, status and order, page in start order; the
// tours a removed home or provider affects are the active ones still to
// come, each once; the worker's due tours are the scheduled ones that
// ended and the unassigned ones; the gauges count the unassigned.
func TestStoreFindsToursForTheWorkerAndConsumers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		st, _, now := storeAt(t, open)
		day := 24 * time.Hour
		ended := storedTour("ended", "cust-1", now.Add(-2*time.Hour), statusScheduled, "l-1", "prov-1")
		ended.RealtorID = "r-1"
		coming := storedTour("coming", "cust-1", now.Add(day), statusScheduled, "l-1", "prov-1", "l-2", "prov-1")
		coming.RealtorID = "r-1"
		waiting := storedTour("waiting", "cust-2", now.Add(2*day), statusUnassigned, "l-2", "prov-1")
		waiting.CreatedAt = now.Add(-3 * time.Hour)
		newer := storedTour("newer", "cust-2", now.Add(2*day), statusUnassigned, "l-3", "prov-2")
		newer.CreatedAt = now.Add(-time.Hour)
		gone := storedTour("gone", "cust-1", now.Add(3*day), statusCancelled, "l-1", "prov-1")
		pending := storedTour("pending", "cust-3", now.Add(3*day), statusPending, "l-3", "prov-2")
		for _, tr := range []tour{ended, coming, waiting, newer, gone, pending} {
			if err := st.Create(ctx, tr); err != nil {
				t.Fatal(err)
			}
		}

		for _, c := range []struct {
			name string
			f    filter
			want []string
		}{
			{"everything, by start", filter{}, []string{"ended", "coming", "newer", "waiting", "gone", "pending"}},
			{"a customer's", filter{CustomerID: "cust-1"}, []string{"ended", "coming", "gone"}},
			{"a realtor's", filter{RealtorID: "r-1"}, []string{"ended", "coming"}},
			{"unassigned", filter{Status: statusUnassigned}, []string{"newer", "waiting"}},
			{"an order's", filter{CustomerID: "cust-1", OrderID: "ord-coming"}, []string{"coming"}},
			{"another's order", filter{CustomerID: "cust-2", OrderID: "ord-coming"}, []string{}},
		} {
			got, err := st.List(ctx, c.f, cursor{}, 10)
			if err != nil || !slices.Equal(idsOf(got), c.want) {
				t.Errorf("List %s = %v, %v; want %v", c.name, idsOf(got), err, c.want)
			}
		}
		var paged []string
		for after := (cursor{}); ; {
			page, err := st.List(ctx, filter{}, after, 4)
			if err != nil {
				t.Fatal(err)
			}
			paged = append(paged, idsOf(page)...)
			if len(page) < 4 {
				break
			}
			last := page[len(page)-1]
			after = cursor{ScheduledAt: last.ScheduledAt, ID: last.ID}
		}
		if want := []string{"ended", "coming", "newer", "waiting", "gone", "pending"}; !slices.Equal(paged, want) {
			t.Errorf("pages of 4 = %v, want %v", paged, want)
		}

		if got, err := st.ActiveWithListing(ctx, "l-1", now); err != nil || !slices.Equal(got, []string{"coming"}) {
			t.Errorf("active with l-1 = %v, %v; want coming (not the ended or cancelled)", got, err)
		}
		if got, err := st.ActiveWithProvider(ctx, "prov-1", now); err != nil || !slices.Equal(got, []string{"coming", "waiting"}) {
			t.Errorf("active with prov-1 = %v, %v; want coming (once for its two homes) and waiting", got, err)
		}
		due, err := st.Due(ctx, now, 10)
		if ids := idsOf(due); err != nil || !slices.Equal(slices.Sorted(slices.Values(ids)), []string{"ended", "newer", "waiting"}) {
			t.Errorf("due = %v, %v; want ended, newer, waiting", ids, err)
		}
		if n, oldest, err := st.Unassigned(ctx); err != nil || n != 2 || !oldest.Equal(waiting.CreatedAt) {
			t.Errorf("unassigned = %d since %v, %v; want 2 since %v", n, oldest, err, waiting.CreatedAt)
		}
		if got, err := st.CreatedSince(ctx, now.Add(-2*time.Hour)); err != nil || len(got) != 1 || !got[0].Equal(newer.CreatedAt) {
			t.Errorf("created in the last 2 h = %v, %v; want newer's", got, err)
		}
	})
}

// TestStoreMakesAnOrdersTourOnce: on each engine an order learns each
// event once, and the tour its change returns is created with its events
// in the same transaction; a change that fails keeps nothing and is tried
// again with its event.
func TestStoreMakesAnOrdersTourOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		st, db, now := storeAt(t, open)
		o := oneHomeOrder("ord-1", "cust-1", now.Add(48*time.Hour))
		learnt := 0
		learn := func(learnOrder func(*order)) func(*order) (*tour, []bus.Event, error) {
			return func(ord *order) (*tour, []bus.Event, error) {
				learnt++
				learnOrder(ord)
				if !ord.Ready() {
					return nil, nil, nil
				}
				tr := ord.Tour(now)
				ev, err := bus.NewEvent(ctx, events.TypeTourCreated, tr.ID, events.TourCreated{Tour: events.Tour{TourID: tr.ID}}, now)
				return &tr, []bus.Event{ev}, err
			}
		}
		place := learn(func(ord *order) { ord.Place(o, now) })
		for range 2 {
			if err := st.ChangeOrder(ctx, "placed", o.OrderID, place); err != nil {
				t.Fatal(err)
			}
		}
		if learnt != 1 {
			t.Fatalf("the order learnt one event %d times", learnt)
		}
		broken := errors.New("broken")
		if err := st.ChangeOrder(ctx, "paid", o.OrderID, func(ord *order) (*tour, []bus.Event, error) {
			ord.Pay("pay-1", o.Total, now)
			return nil, nil, broken
		}); !errors.Is(err, broken) {
			t.Fatalf("a failing change = %v", err)
		}
		if err := st.ChangeOrder(ctx, "paid", o.OrderID, learn(func(ord *order) { ord.Pay("pay-1", o.Total, now) })); err != nil {
			t.Fatal(err)
		}
		tr, err := st.Get(ctx, o.OrderID)
		if err != nil || tr.PaymentID != "pay-1" || tr.Stops[0].ListingID != "l-1" || len(outboxtest.OfType(t, db, events.TypeTourCreated)) != 1 {
			t.Fatalf("the order's tour: %+v, %v; %d tour.created", tr, err, len(outboxtest.OfType(t, db, events.TypeTourCreated)))
		}
	})
}

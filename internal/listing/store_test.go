package listing

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// allow is a CreateListing check that lets any provider through.
func allow(provider) error { return nil }

// verifiedProvider makes id a verified, active provider in st.
func verifiedProvider(t *testing.T, st *SQLStore, id string) {
	t.Helper()
	ctx := context.Background()
	for _, ev := range []bus.Event{registered(t, id, false, t0), verified(t, id, true, t0.Add(time.Minute))} {
		err := st.UpdateProvider(ctx, ev, id, func(p *provider) error {
			switch ev.Type() {
			case events.TypeUserRegistered:
				return p.Registered(false, providerActive, t0)
			default:
				p.SetVerified(true, t0.Add(time.Minute))
				return nil
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func setStatus(t *testing.T, st *SQLStore, id string, status providerStatus, at time.Time) {
	t.Helper()
	ev := statusChanged(t, id, string(status), at)
	if err := st.UpdateProvider(context.Background(), ev, id, func(p *provider) error {
		return p.SetStatus(status, at)
	}); err != nil {
		t.Fatal(err)
	}
}

// TestStoreContract is the behaviour every engine must show; it runs
// unchanged on SQLite and PostgreSQL.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()

		t.Run("a listing reads back as written, with its event in the outbox", func(t *testing.T) {
			st, db := openStore(t, open, nil)
			verifiedProvider(t, st, "p1")
			d := seattle()
			d.Title = "Zürich-style loft, 100% light"
			d.Location = location{Lat: 47.609712345678, Lng: -122.342298765432}
			l := newListing("l1", "p1", d, t0.Add(123456789*time.Nanosecond))
			ev := newEvent(t, events.TypeListingCreated, l.ID, map[string]string{"x": "y"})
			var seen provider
			if err := st.CreateListing(ctx, l, func(p provider) error { seen = p; return nil }, ev); err != nil {
				t.Fatal(err)
			}
			if seen.ID != "p1" || !seen.MayList() {
				t.Fatalf("check saw provider %+v, want p1 verified and active", seen)
			}
			got, err := st.VisibleListing(ctx, "l1")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, l) {
				t.Fatalf("read\n%+v\nwrote\n%+v", got, l)
			}
			if types := outboxtest.Types(t, db); !slices.Equal(types, []string{events.TypeListingCreated}) {
				t.Fatalf("outbox %v", types)
			}
			if _, err := st.VisibleListing(ctx, "nope"); !errors.Is(err, errNotFound) {
				t.Fatalf("unknown id: %v, want errNotFound", err)
			}
		})

		t.Run("a refused check writes nothing", func(t *testing.T) {
			st, db := openStore(t, open, nil)
			var seen provider
			err := st.CreateListing(ctx, newListing("l1", "ghost", seattle(), t0), func(p provider) error {
				seen = p
				return checkWrite(p, nil)
			}, newEvent(t, events.TypeListingCreated, "l1", nil))
			if !errors.Is(err, errNotAllowed) {
				t.Fatalf("create by an unknown provider: %v, want errNotAllowed", err)
			}
			if seen != (provider{ID: "ghost"}) {
				t.Fatalf("check saw %+v, want the zero provider with its id", seen)
			}
			if _, err := st.VisibleListing(ctx, "l1"); !errors.Is(err, errNotFound) {
				t.Fatalf("refused listing exists: %v", err)
			}
			if types := outboxtest.Types(t, db); len(types) != 0 {
				t.Fatalf("outbox holds %v after a refused create", types)
			}
		})

		t.Run("a duplicate id is a conflict", func(t *testing.T) {
			st, _ := openStore(t, open, nil)
			l := newListing("l1", "p1", seattle(), t0)
			if err := st.CreateListing(ctx, l, allow); err != nil {
				t.Fatal(err)
			}
			if err := st.CreateListing(ctx, l, allow); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("second create: %v, want ErrConflict", err)
			}
		})

		t.Run("an update writes with its events; a failed one writes nothing", func(t *testing.T) {
			st, db := openStore(t, open, nil)
			verifiedProvider(t, st, "p1")
			l := newListing("l1", "p1", seattle(), t0)
			if err := st.CreateListing(ctx, l, allow); err != nil {
				t.Fatal(err)
			}
			later := t0.Add(time.Hour)
			err := st.UpdateListing(ctx, "p1", "l1", func(p provider, l *listing) ([]bus.Event, error) {
				if p.ID != "p1" || !p.MayList() {
					t.Errorf("update saw provider %+v", p)
				}
				l.Title, l.Address.City, l.UpdatedAt = "Renamed", "Tacoma", later
				return []bus.Event{newEvent(t, events.TypeListingUpdated, "l1", nil)}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			boom := errors.New("boom")
			err = st.UpdateListing(ctx, "p1", "l1", func(_ provider, l *listing) ([]bus.Event, error) {
				l.Title = "Lost"
				return []bus.Event{newEvent(t, events.TypeListingUpdated, "l1", nil)}, boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("failed update: %v, want boom", err)
			}
			got, err := st.VisibleListing(ctx, "l1")
			if err != nil {
				t.Fatal(err)
			}
			if got.Title != "Renamed" || got.Address.City != "Tacoma" || !got.UpdatedAt.Equal(later) || !got.CreatedAt.Equal(t0) {
				t.Fatalf("after updates: %+v", got)
			}
			if types := outboxtest.Types(t, db); !slices.Equal(types, []string{events.TypeListingUpdated}) {
				t.Fatalf("outbox %v, want one update", types)
			}
			// The search columns follow the update.
			hits, err := st.Search(ctx, query{City: "tacoma", Text: "renamed", Limit: 10})
			if err != nil || len(hits) != 1 {
				t.Fatalf("search by the new city and title: %d hits, %v", len(hits), err)
			}
		})

		t.Run("updating a missing listing is errNotFound", func(t *testing.T) {
			st, _ := openStore(t, open, nil)
			called := false
			err := st.UpdateListing(ctx, "p1", "nope", func(provider, *listing) ([]bus.Event, error) {
				called = true
				return nil, nil
			})
			if !errors.Is(err, errNotFound) || called {
				t.Fatalf("err %v, update called %v; want errNotFound without a call", err, called)
			}
		})

		t.Run("concurrent updates lose nothing", func(t *testing.T) {
			st, _ := openStore(t, open, nil)
			verifiedProvider(t, st, "p1")
			verifiedProvider(t, st, "p2")
			d := seattle()
			d.Bedrooms = 0
			if err := st.CreateListing(ctx, newListing("l1", "p1", d, t0), allow); err != nil {
				t.Fatal(err)
			}
			const workers, each = 4, 10
			var wg sync.WaitGroup
			errs := make(chan error, workers*each)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					caller := []string{"p1", "p2"}[w%2] // the store locks the caller, not the owner
					for range each {
						errs <- st.UpdateListing(ctx, caller, "l1", func(_ provider, l *listing) ([]bus.Event, error) {
							l.Bedrooms++
							return nil, nil
						})
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			got, err := st.VisibleListing(ctx, "l1")
			if err != nil {
				t.Fatal(err)
			}
			if got.Bedrooms != workers*each {
				t.Fatalf("bedrooms %d, want %d", got.Bedrooms, workers*each)
			}
		})

		t.Run("a provider event applies once", func(t *testing.T) {
			st, _ := openStore(t, open, clock.NewFake(t0))
			ev := verified(t, "p1", true, t0)
			calls := 0
			for range 3 {
				if err := st.UpdateProvider(ctx, ev, "p1", func(p *provider) error {
					calls++
					p.SetVerified(true, t0)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			if calls != 1 {
				t.Fatalf("update called %d times for one event, want 1", calls)
			}
			p, err := st.Provider(ctx, "p1")
			if err != nil {
				t.Fatal(err)
			}
			if !p.Verified || !p.VerifiedAt.Equal(t0) || !p.Active() {
				t.Fatalf("provider %+v", p)
			}
			unknown, err := st.Provider(ctx, "nobody")
			if err != nil || unknown != (provider{ID: "nobody"}) {
				t.Fatalf("unknown provider: %+v, %v", unknown, err)
			}
			// A failing update records nothing: the redelivery applies it.
			ev2 := statusChanged(t, "p1", "suspended", t0.Add(time.Hour))
			boom := errors.New("boom")
			if err := st.UpdateProvider(ctx, ev2, "p1", func(*provider) error { return boom }); !errors.Is(err, boom) {
				t.Fatalf("failing update: %v", err)
			}
			if err := st.UpdateProvider(ctx, ev2, "p1", func(p *provider) error {
				return p.SetStatus(providerSuspended, t0.Add(time.Hour))
			}); err != nil {
				t.Fatal(err)
			}
			if p, _ := st.Provider(ctx, "p1"); p.Active() {
				t.Fatal("the redelivered suspension was not applied")
			}
		})

		t.Run("a suspension hides the provider's listings until reactivation", func(t *testing.T) {
			st, _ := openStore(t, open, nil)
			verifiedProvider(t, st, "p1")
			verifiedProvider(t, st, "p2")
			for _, l := range []listing{
				newListing("a1", "p1", seattle(), t0),
				newListing("a2", "p1", seattle(), t0),
				newListing("b1", "p2", seattle(), t0),
			} {
				if err := st.CreateListing(ctx, l, allow); err != nil {
					t.Fatal(err)
				}
			}
			visible := func() []string {
				t.Helper()
				var ids []string
				here := seattle().Location
				for _, q := range []query{{Limit: 10}, {Near: &here, RadiusKM: 1, Limit: 10}} {
					hits, err := st.Search(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, h := range hits {
						got = append(got, h.Listing.ID)
					}
					slices.Sort(got)
					if ids != nil && !slices.Equal(ids, got) {
						t.Fatalf("recent search %v, radius search %v", ids, got)
					}
					ids = got
				}
				for _, id := range []string{"a1", "a2", "b1"} {
					_, err := st.VisibleListing(ctx, id)
					if shown := slices.Contains(ids, id); shown != (err == nil) {
						t.Fatalf("%s: in search %v, VisibleListing error %v", id, shown, err)
					}
				}
				return ids
			}
			if got := visible(); !slices.Equal(got, []string{"a1", "a2", "b1"}) {
				t.Fatalf("before: %v", got)
			}
			setStatus(t, st, "p1", providerSuspended, t0.Add(time.Hour))
			if got := visible(); !slices.Equal(got, []string{"b1"}) {
				t.Fatalf("suspended: %v, want only b1", got)
			}
			// A listing created by a suspended provider (were a check to
			// allow it) is hidden from the start.
			if err := st.CreateListing(ctx, newListing("a3", "p1", seattle(), t0), allow); err != nil {
				t.Fatal(err)
			}
			if got := visible(); !slices.Equal(got, []string{"b1"}) {
				t.Fatalf("after a create while suspended: %v, want only b1", got)
			}
			setStatus(t, st, "p1", providerActive, t0.Add(2*time.Hour))
			if got := visible(); !slices.Equal(got, []string{"a1", "a2", "a3", "b1"}) {
				t.Fatalf("reactivated: %v", got)
			}
		})

		t.Run("radius search matches brute force", func(t *testing.T) {
			st, _ := openStore(t, open, nil)
			all := generate(t, st, 600, 7)
			centre := location{Lat: 47.6, Lng: -122.3}
			one, three := int64(300_000_00), int64(900_000_00)
			queries := []query{
				{Near: &centre, RadiusKM: 5},
				{Near: &centre, RadiusKM: 25},
				{Near: &centre, RadiusKM: 200},
				{Near: &location{Lat: 47.7, Lng: -122.1}, RadiusKM: 10},
				{Near: &centre, RadiusKM: 25, MinPrice: &one, MaxPrice: &three},
				{Near: &centre, RadiusKM: 25, MinBedrooms: 3},
				{Near: &centre, RadiusKM: 25, City: "BELLEVUE"},
				{Near: &centre, RadiusKM: 25, Text: "VIEW"},
				{Near: &centre, RadiusKM: 25, Currency: "CAD"},
				{Near: &location{Lat: 10, Lng: 10}, RadiusKM: 50},
			}
			for i, q := range queries {
				t.Run(fmt.Sprint(i), func(t *testing.T) {
					want := bruteForce(all, q)
					if i < 4 && len(want) < 5 {
						t.Fatalf("query %d matches only %d listings; the data does not test it", i, len(want))
					}
					got := walk(t, st, q, 7, nil)
					compareHits(t, got, want)
				})
			}
		})

		t.Run("newest first, with filters, matches brute force", func(t *testing.T) {
			st, _ := openStore(t, open, nil)
			all := generate(t, st, 300, 11)
			min := int64(500_000_00)
			for i, q := range []query{
				{}, {City: "seattle"}, {MinPrice: &min, MinBedrooms: 2}, {Text: "garden"}, {Text: "nothing like this"},
			} {
				t.Run(fmt.Sprint(i), func(t *testing.T) {
					compareHits(t, walk(t, st, q, 9, nil), bruteForce(all, q))
				})
			}
		})

		t.Run("pagination sees every listing once while listings are added", func(t *testing.T) {
			for _, near := range []bool{true, false} {
				t.Run(fmt.Sprintf("near=%v", near), func(t *testing.T) {
					st, _ := openStore(t, open, nil)
					all := generate(t, st, 200, 3)
					q := query{}
					if near {
						q = query{Near: &location{Lat: 47.6, Lng: -122.3}, RadiusKM: 200}
					}
					want := bruteForce(all, q)
					rng := rand.New(rand.NewPCG(5, 5))
					n := 0
					got := walk(t, st, q, 10, func() {
						// Between pages: new listings, some nearer or newer
						// than anything seen so far.
						for range 3 {
							n++
							d := seattle()
							d.Location = location{Lat: 47.6 + rng.NormFloat64()*0.05, Lng: -122.3 + rng.NormFloat64()*0.05}
							l := newListing(fmt.Sprintf("new-%03d", n), "p1", d, t0.Add(time.Duration(n)*time.Hour))
							if err := st.CreateListing(context.Background(), l, allow); err != nil {
								t.Fatal(err)
							}
						}
					})
					seen := map[string]int{}
					for _, h := range got {
						seen[h.Listing.ID]++
					}
					for id, c := range seen {
						if c > 1 {
							t.Errorf("%s served %d times", id, c)
						}
					}
					for _, h := range want {
						if seen[h.Listing.ID] != 1 {
							t.Errorf("%s, there from the start, served %d times", h.Listing.ID, seen[h.Listing.ID])
						}
					}
				})
			}
		})

		t.Run("text search takes wildcards and quotes literally", func(t *testing.T) {
			st, _ := openStore(t, open, nil)
			titles := map[string]string{
				"pct": "100% renovated", "under": "snake_case cottage", "plain": "Plain house",
				"quote": "O'Brien's place", "back": `C:\ home`,
			}
			for id, title := range titles {
				d := seattle()
				d.Title, d.Description = title, ""
				if err := st.CreateListing(ctx, newListing(id, "p1", d, t0), allow); err != nil {
					t.Fatal(err)
				}
			}
			for q, want := range map[string][]string{
				"%": {"pct"}, "_": {"under"}, "0% r": {"pct"}, "e_c": {"under"}, "o'brien": {"quote"},
				`\`: {"back"}, `%' OR 1=1 --`: nil, `' OR '1'='1`: nil, "'; DROP TABLE listings; --": nil,
				"PLAIN": {"plain"}, "h%se": nil, "h_use": nil,
			} {
				hits, err := st.Search(ctx, query{Text: q, Limit: 10})
				if err != nil {
					t.Fatalf("q=%q: %v", q, err)
				}
				var got []string
				for _, h := range hits {
					got = append(got, h.Listing.ID)
				}
				if !slices.Equal(got, want) {
					t.Errorf("q=%q found %v, want %v", q, got, want)
				}
			}
			hits, err := st.Search(ctx, query{Limit: 10})
			if err != nil || len(hits) != len(titles) {
				t.Fatalf("after the injection attempts: %d listings, %v", len(hits), err)
			}
		})

		t.Run("city and text match case-insensitively beyond ASCII", func(t *testing.T) {
			st, _ := openStore(t, open, nil)
			d := seattle()
			d.Title, d.Address.City, d.Address.Country, d.TimeZone = "Ölberg Villa", "Zürich", "CH", "Europe/Zurich"
			if err := st.CreateListing(ctx, newListing("z", "p1", d, t0), allow); err != nil {
				t.Fatal(err)
			}
			for _, q := range []query{{City: "ZÜRICH"}, {City: " zürich "}, {Text: "ölberg"}, {Text: "ÖLBERG"}, {Text: "ZÜR"}} {
				q.Limit = 5
				if hits, err := st.Search(ctx, q); err != nil || len(hits) != 1 {
					t.Errorf("%+v: %d hits, %v", q, len(hits), err)
				}
			}
		})

		t.Run("radius search across the antimeridian and at a pole", func(t *testing.T) {
			st, _ := openStore(t, open, nil)
			places := map[string]location{
				"east": {Lat: -16.5, Lng: 179.95}, "west": {Lat: -16.5, Lng: -179.95}, "far": {Lat: -16.5, Lng: 170},
				"pole1": {Lat: 89.99, Lng: 0}, "pole2": {Lat: 89.99, Lng: 180}, "pole3": {Lat: 89.99, Lng: -90},
			}
			for id, loc := range places {
				d := seattle()
				d.Location = loc
				if err := st.CreateListing(ctx, newListing(id, "p1", d, t0), allow); err != nil {
					t.Fatal(err)
				}
			}
			for _, tt := range []struct {
				centre location
				want   []string
			}{
				{location{Lat: -16.5, Lng: 179.99}, []string{"east", "west"}},
				{location{Lat: -16.5, Lng: -179.99}, []string{"west", "east"}},
				{location{Lat: 90, Lng: 0}, []string{"pole1", "pole2", "pole3"}},
			} {
				hits, err := st.Search(ctx, query{Near: &tt.centre, RadiusKM: 20, Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, h := range hits {
					got = append(got, h.Listing.ID)
				}
				if len(tt.want) == 3 {
					slices.Sort(got) // equidistant from the pole
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("near %+v: %v, want %v", tt.centre, got, tt.want)
				}
			}
		})
	})
}

// generate stores n listings spread over the Seattle area and a few far
// away, with varied prices, rooms, cities and currencies; some are deleted
// and some belong to a suspended provider (p9). Creation times repeat, so
// ties on created_at are exercised.
func generate(t *testing.T, st *SQLStore, n int, seed uint64) []listing {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	cities := []string{"Seattle", "Bellevue", "Redmond", "Tacoma", "Kirkland"}
	words := []string{"view", "garden", "loft", "garage", "quiet"}
	all := make([]listing, n)
	for i := range all {
		d := seattle()
		d.Location = location{Lat: 47.6 + rng.NormFloat64()*0.15, Lng: -122.3 + rng.NormFloat64()*0.2}
		if i%20 == 0 {
			d.Location = location{Lat: rng.Float64()*140 - 70, Lng: rng.Float64()*360 - 180}
		}
		d.Address.City = cities[rng.IntN(len(cities))]
		d.Title = fmt.Sprintf("Home %d with %s", i, words[rng.IntN(len(words))])
		d.Description = "Near " + words[rng.IntN(len(words))]
		d.Price = usd(int64(rng.IntN(120)+1) * 1_000_000)
		if i%7 == 0 {
			d.Price.Currency = "CAD"
		}
		d.Bedrooms = rng.IntN(6)
		provider := fmt.Sprintf("p%d", rng.IntN(10))
		l := newListing(fmt.Sprintf("g%04d", i), provider, d, t0.Add(time.Duration(i/3)*time.Second))
		if i%11 == 0 {
			l.Delete(t0)
		}
		l.ProviderActive = provider != "p9"
		all[i] = l
	}
	if err := bulkInsert(context.Background(), st, all); err != nil {
		t.Fatal(err)
	}
	return all
}

// bruteForce is the search's specification: every visible listing that
// passes every filter, in the query's order.
func bruteForce(all []listing, q query) []hit {
	var out []hit
	for _, l := range all {
		if !l.Visible() ||
			(q.MinPrice != nil && l.Price.Amount < *q.MinPrice) ||
			(q.MaxPrice != nil && l.Price.Amount > *q.MaxPrice) ||
			(q.Currency != "" && l.Price.Currency != q.Currency) ||
			l.Bedrooms < q.MinBedrooms ||
			(q.City != "" && !strings.EqualFold(l.Address.City, strings.TrimSpace(q.City))) ||
			(q.Text != "" && !strings.Contains(strings.ToLower(l.Title+"\n"+l.Description+"\n"+l.Address.City), strings.ToLower(q.Text))) {
			continue
		}
		h := hit{Listing: l}
		if q.Near != nil {
			h.DistanceKM = distanceKM(*q.Near, l.Location)
			if h.DistanceKM > q.RadiusKM {
				continue
			}
		}
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b hit) int {
		if q.Near != nil {
			if a.DistanceKM != b.DistanceKM {
				if a.DistanceKM < b.DistanceKM {
					return -1
				}
				return 1
			}
			return strings.Compare(a.Listing.ID, b.Listing.ID)
		}
		if c := b.Listing.CreatedAt.Compare(a.Listing.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.Listing.ID, a.Listing.ID)
	})
	return out
}

// walk reads every page of q, pageSize at a time, through the service's
// paging, calling between (if set) after each page.
func walk(t *testing.T, st Store, q query, pageSize int, between func()) []hit {
	t.Helper()
	svc, err := New(st, Config{Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	q.Limit = pageSize
	var all []hit
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		page, err := svc.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Hits) > pageSize {
			t.Fatalf("page of %d, limit %d", len(page.Hits), pageSize)
		}
		all = append(all, page.Hits...)
		if page.Next == nil {
			return all
		}
		if !q.CheckCursor(*page.Next) {
			t.Fatalf("cursor %+v does not belong to its query", *page.Next)
		}
		q.After = page.Next
		if between != nil {
			between()
		}
	}
}

func compareHits(t *testing.T, got, want []hit) {
	t.Helper()
	ids := func(hs []hit) []string {
		out := make([]string, len(hs))
		for i, h := range hs {
			out[i] = h.Listing.ID
		}
		return out
	}
	if !slices.Equal(ids(got), ids(want)) {
		t.Fatalf("got %d hits\n%v\nwant %d\n%v", len(got), ids(got), len(want), ids(want))
	}
	for i := range got {
		if got[i].DistanceKM != want[i].DistanceKM {
			t.Fatalf("%s: distance %v, want %v", got[i].Listing.ID, got[i].DistanceKM, want[i].DistanceKM)
		}
		if !reflect.DeepEqual(got[i].Listing, want[i].Listing) {
			t.Fatalf("hit %d read back as\n%+v\nwant\n%+v", i, got[i].Listing, want[i].Listing)
		}
	}
}

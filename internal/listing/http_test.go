package listing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestRoleMatrix: every endpoint, every kind of caller, own and another's
// listing. A refused write changes nothing and a 404 tells nothing.
func TestRoleMatrix(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		s := newServer(t, open)
		owner := s.provider("owner", true)
		other := s.provider("other", true)
		unverified := s.provider("unverified", false)
		suspended := s.provider("suspended", true)
		s.deliver(statusChanged(t, "suspended", "suspended", t0.Add(time.Hour)))
		customer := auth.Principal{ID: "c1", Role: auth.RoleCustomer}
		realtor := auth.Principal{ID: "r1", Role: auth.RoleRealtor}
		admin := auth.Principal{ID: "a1", Role: auth.RoleAdmin}
		cart := auth.ServicePrincipal("cart")
		payment := auth.ServicePrincipal("payment")

		const (
			own     = "own"     // the caller's own listing
			another = "another" // the owner's listing, called by someone else
		)
		type call struct {
			method string
			target string // "" for the collection
		}
		calls := []call{
			{"POST", ""}, {"GET", ""}, {"GET", another}, {"PUT", another}, {"PATCH", another}, {"DELETE", another},
		}
		ownCalls := []call{{"GET", own}, {"PUT", own}, {"PATCH", own}, {"DELETE", own}}

		tests := []struct {
			name   string
			caller *auth.Principal
			calls  []call
			want   []int
		}{
			{"anonymous", nil, calls, []int{401, 401, 401, 401, 401, 401}},
			{"customer", &customer, calls, []int{403, 200, 200, 403, 403, 403}},
			{"realtor", &realtor, calls, []int{403, 200, 200, 403, 403, 403}},
			{"admin", &admin, calls, []int{403, 200, 200, 403, 403, 403}},
			{"reading service", &cart, calls, []int{403, 200, 200, 403, 403, 403}},
			{"other service", &payment, calls, []int{403, 403, 403, 403, 403, 403}},
			{"unverified provider", &unverified, calls, []int{403, 200, 200, 403, 403, 403}},
			{"suspended provider", &suspended, calls, []int{403, 200, 200, 403, 403, 403}},
			{"another verified provider", &other, calls, []int{201, 200, 200, 404, 404, 404}},
			{"owner", &owner, ownCalls, []int{200, 200, 200, 204}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for i, c := range tt.calls {
					// A fresh listing per call, so a write that wrongly
					// succeeds shows up and a DELETE leaves the rest alone.
					target := s.create(owner, seattle())
					path := "/listings"
					if c.target != "" {
						path += "/" + target.ID
					}
					var payload any
					switch c.method {
					case "POST", "PUT":
						d := seattle()
						d.Title = "Changed by " + tt.name
						payload = body(d)
					case "PATCH":
						payload = map[string]any{"title": "Changed by " + tt.name}
					}
					resp := s.do(tt.caller, c.method, path, payload)
					if resp.Code != tt.want[i] {
						t.Fatalf("%s %s: status %d, want %d; body %s", c.method, c.target, resp.Code, tt.want[i], resp.Body)
					}
					if resp.Code >= 400 {
						resp.problem(tt.want[i])
						for _, secret := range []string{target.Title, `"owner"`, "Pike St", "provider_id"} {
							if strings.Contains(string(resp.Body), secret) {
								t.Fatalf("%s %s: the %d answer leaks %q: %s", c.method, c.target, resp.Code, secret, resp.Body)
							}
						}
					}
					// Whatever happened, the owner's listing is as it
					// should be: changed only by the owner.
					after := s.do(&owner, "GET", "/listings/"+target.ID, nil)
					switch {
					case c.target == "" || c.method == "GET":
						after.want(200)
					case resp.Code >= 400:
						var v view
						after.want(200).decode(&v)
						if v != target {
							t.Fatalf("%s by %s was refused but the listing changed:\n%+v\n%+v", c.method, tt.name, v, target)
						}
					case c.method == "DELETE":
						after.problem(404)
					default:
						var v view
						after.want(200).decode(&v)
						if v.Title != "Changed by "+tt.name {
							t.Fatalf("%s by the owner did not change the title: %+v", c.method, v)
						}
					}
				}
			})
		}

		t.Run("unknown listing", func(t *testing.T) {
			for _, m := range []string{"GET", "PUT", "PATCH", "DELETE"} {
				var payload any
				if m == "PUT" {
					payload = body(seattle())
				} else if m == "PATCH" {
					payload = map[string]any{"bedrooms": 1}
				}
				s.do(&owner, m, "/listings/00000000-0000-7000-8000-000000000000", payload).problem(404)
				s.do(&owner, m, "/listings/"+strings.Repeat("x", 100), payload).problem(404)
			}
		})

		t.Run("a deleted listing is gone for everyone", func(t *testing.T) {
			l := s.create(owner, seattle())
			s.do(&owner, "DELETE", "/listings/"+l.ID, nil).want(204)
			for _, p := range []*auth.Principal{&owner, &customer, &cart} {
				s.do(p, "GET", "/listings/"+l.ID, nil).problem(404)
			}
			s.do(&owner, "DELETE", "/listings/"+l.ID, nil).problem(404)
			s.do(&owner, "PATCH", "/listings/"+l.ID, map[string]any{"bedrooms": 1}).problem(404)
			var p page
			s.do(&customer, "GET", "/listings?limit=100", nil).want(200).decode(&p)
			for _, v := range p.Items {
				if v.ID == l.ID {
					t.Fatal("the deleted listing is still listed")
				}
			}
		})
	})
}

// TestSuspendedProviderDisappears: a suspended provider's listings leave
// search and GET /listings/{id} (so no cart can take them) until the
// provider is reactivated; the same event delivered twice changes nothing.
func TestSuspendedProviderDisappears(t *testing.T) {
	s := newServer(t, storetest.OpenSQLite)
	p := s.provider("p1", true)
	q := s.provider("p2", true)
	customer := auth.Principal{ID: "c1", Role: auth.RoleCustomer}
	cart := auth.ServicePrincipal("cart")
	mine := s.create(p, seattle())
	theirs := s.create(q, seattle())

	listed := func() []string {
		t.Helper()
		var ids []string
		for _, path := range []string{"/listings", "/listings?near=47.6097,-122.3422&radius_km=5"} {
			var pg page
			s.do(&customer, "GET", path, nil).want(200).decode(&pg)
			var got []string
			for _, v := range pg.Items {
				got = append(got, v.ID)
			}
			slices.Sort(got)
			if ids != nil && !slices.Equal(ids, got) {
				t.Fatalf("newest-first %v, radius %v", ids, got)
			}
			ids = got
		}
		return ids
	}
	both := []string{mine.ID, theirs.ID}
	slices.Sort(both)
	if got := listed(); !slices.Equal(got, both) {
		t.Fatalf("before: %v", got)
	}

	suspend := statusChanged(t, "p1", "suspended", t0.Add(time.Hour))
	s.deliver(suspend)
	s.deliver(suspend) // redelivered
	if got := listed(); !slices.Equal(got, []string{theirs.ID}) {
		t.Fatalf("suspended: %v, want only %s", got, theirs.ID)
	}
	for _, who := range []*auth.Principal{&customer, &cart, &p} {
		s.do(who, "GET", "/listings/"+mine.ID, nil).problem(404)
	}
	s.do(&p, "POST", "/listings", body(seattle())).problem(403)
	s.do(&p, "PATCH", "/listings/"+mine.ID, map[string]any{"title": "x"}).problem(403)
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM inbox WHERE event_id = $1`, suspend.ID()).Scan(&n); err != nil || n != 1 {
		t.Fatalf("inbox rows for the suspension: %d, %v; want 1", n, err)
	}

	reactivate := statusChanged(t, "p1", "active", t0.Add(2*time.Hour))
	s.deliver(reactivate)
	s.deliver(suspend) // a late redelivery of the older event
	s.deliver(reactivate)
	if got := listed(); !slices.Equal(got, both) {
		t.Fatalf("reactivated: %v", got)
	}
	var v view
	s.do(&cart, "GET", "/listings/"+mine.ID, nil).want(200).decode(&v)
	if v != mine {
		t.Fatalf("after reactivation the listing reads\n%+v\nwas\n%+v", v, mine)
	}

	// Un-verification stops writes but keeps the listings on the market.
	s.deliver(verified(t, "p1", false, t0.Add(3*time.Hour)))
	s.do(&p, "PATCH", "/listings/"+mine.ID, map[string]any{"title": "x"}).problem(403)
	s.do(&customer, "GET", "/listings/"+mine.ID, nil).want(200)

	// Events about other roles are ignored.
	s.deliver(newEvent(t, events.TypeUserStatusChanged, "c9", events.UserStatusChanged{UserID: "c9", Role: "customer", Status: "suspended", At: t0}))
	if pr, err := s.store.Provider(context.Background(), "c9"); err != nil || pr != (provider{ID: "c9"}) {
		t.Fatalf("a customer's suspension made a provider record: %+v, %v", pr, err)
	}
}

// TestMalformedEventsArePermanent: an event no retry can fix goes to the
// dead letters at once instead of blocking the consumer.
func TestMalformedEventsArePermanent(t *testing.T) {
	s := newServer(t, storetest.OpenSQLite)
	bad := []struct {
		typ  string
		data any
	}{
		{events.TypeUserStatusChanged, events.UserStatusChanged{UserID: "p1", Role: "provider", Status: "banned", At: t0}},
		{events.TypeUserVerified, events.UserVerified{Role: "provider", Verified: true, At: t0}},
		{events.TypeUserRegistered, "not an object"},
	}
	for _, b := range bad {
		err := s.handlers[b.typ](context.Background(), newEvent(t, b.typ, "p1", b.data))
		if err == nil || !isPermanent(err) {
			t.Errorf("%s %v: error %v, want a permanent one", b.typ, b.data, err)
		}
	}
	if pr, _ := s.store.Provider(context.Background(), "p1"); pr != (provider{ID: "p1"}) {
		t.Fatalf("a malformed event changed the provider: %+v", pr)
	}
}

// TestWritesPublishEvents: each change is announced through the outbox with
// the whole listing after it.
func TestWritesPublishEvents(t *testing.T) {
	s := newServer(t, storetest.OpenSQLite)
	p := s.provider("p1", true)
	l := s.create(p, seattle())

	s.clock.Advance(time.Minute)
	d := seattle()
	d.Title, d.Bedrooms = "Replaced", 4
	s.do(&p, "PUT", "/listings/"+l.ID, body(d)).want(200)
	s.do(&p, "PUT", "/listings/"+l.ID, body(d)).want(200) // no change, no event

	s.clock.Advance(time.Minute)
	var patched view
	s.do(&p, "PATCH", "/listings/"+l.ID, map[string]any{"address": map[string]any{"postal_code": "98102"}, "tour_fee": usd(3000)}).
		want(200).decode(&patched)
	s.do(&p, "PATCH", "/listings/"+l.ID, map[string]any{}).want(200) // no change, no event

	s.clock.Advance(time.Minute)
	s.do(&p, "DELETE", "/listings/"+l.ID, nil).want(204)

	evs := outboxtest.Events(t, s.db)
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type())
		if ev.Subject() != l.ID || ev.Source() != "/openhouse/listing" {
			t.Errorf("%s: subject %q source %q", ev.Type(), ev.Subject(), ev.Source())
		}
	}
	want := []string{events.TypeListingCreated, events.TypeListingUpdated, events.TypeListingUpdated, events.TypeListingDeleted}
	if !slices.Equal(types, want) {
		t.Fatalf("outbox %v, want %v", types, want)
	}

	var created events.ListingCreated
	if err := evs[0].DataAs(&created); err != nil {
		t.Fatal(err)
	}
	if c := created.Listing; c.ID != l.ID || c.ProviderID != "p1" || c.Title != l.Title || c.Status != "active" ||
		c.Address.City != "Seattle" || c.Location.Lat != l.Location.Lat || c.Price != l.Price || c.TimeZone != l.TimeZone ||
		!c.CreatedAt.Equal(t0) {
		t.Fatalf("created event carries %+v", c)
	}

	var replaced events.ListingUpdated
	if err := evs[1].DataAs(&replaced); err != nil {
		t.Fatal(err)
	}
	if replaced.Mode != events.UpdateReplace || !slices.Equal(replaced.Changed, []string{"title", "bedrooms"}) ||
		replaced.Listing.Title != "Replaced" || replaced.Listing.Bedrooms != 4 || !replaced.Listing.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("replace event %+v", replaced)
	}

	var patchEv events.ListingUpdated
	if err := evs[2].DataAs(&patchEv); err != nil {
		t.Fatal(err)
	}
	if patchEv.Mode != events.UpdatePatch || !slices.Equal(patchEv.Changed, []string{"address", "tour_fee"}) ||
		patchEv.Listing.Address.PostalCode != "98102" || patchEv.Listing.Address.Line1 != "85 Pike St" ||
		patchEv.Listing.Title != "Replaced" || patchEv.Listing.TourFee != usd(3000) {
		t.Fatalf("patch event %+v", patchEv)
	}
	if patched.Address.PostalCode != "98102" || patched.Title != "Replaced" || patched.TourFee != usd(3000) {
		t.Fatalf("PATCH answered %+v", patched)
	}

	var deleted events.ListingDeleted
	if err := evs[3].DataAs(&deleted); err != nil {
		t.Fatal(err)
	}
	if deleted.ListingID != l.ID || deleted.ProviderID != "p1" || !deleted.DeletedAt.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("deleted event %+v", deleted)
	}
}

// TestCreateAnswer: POST answers 201 with every field, a Location, and the
// values normalized.
func TestCreateAnswer(t *testing.T) {
	s := newServer(t, storetest.OpenSQLite)
	p := s.provider("p1", true)
	d := seattle()
	d.Title = "  Loft  "
	d.Address.Country = "us"
	resp := s.do(&p, "POST", "/listings", body(d)).want(201)
	var v view
	resp.decode(&v)
	if resp.Header.Get("Location") != "/listings/"+v.ID || v.ID == "" {
		t.Fatalf("Location %q for id %q", resp.Header.Get("Location"), v.ID)
	}
	want := view{ID: v.ID, ProviderID: "p1", Title: "Loft", Description: d.Description,
		Address:  addressJSON{Line1: "85 Pike St", City: "Seattle", Region: "WA", PostalCode: "98101", Country: "US"},
		Location: locationJSON{Lat: 47.6097, Lng: -122.3422}, Price: usd(85_000_000), Bedrooms: 2, Bathrooms: 1,
		TourFee: usd(2500), TimeZone: "America/Los_Angeles", Status: "active", CreatedAt: t0, UpdatedAt: t0}
	if v != want {
		t.Fatalf("created\n%+v\nwant\n%+v", v, want)
	}
	var raw map[string]any
	resp.decode(&raw)
	if _, ok := raw["distance_km"]; ok {
		t.Fatal("a listing outside a radius search carries distance_km")
	}
}

// TestPatchAbsentAndNull: an absent field is kept; null is refused, since
// every field has a value.
func TestPatchAbsentAndNull(t *testing.T) {
	s := newServer(t, storetest.OpenSQLite)
	p := s.provider("p1", true)
	l := s.create(p, seattle())
	path := "/listings/" + l.ID

	var v view
	s.do(&p, "PATCH", path, `{"description": ""}`).want(200).decode(&v)
	if v.Description != "" || v.Title != l.Title {
		t.Fatalf("clearing the description: %+v", v)
	}
	for _, body := range []string{
		`{"title": null}`, `{"address": null}`, `{"address": {"city": null}}`, `{"price": null}`,
		`{"location": {"lat": 1}}`, `{"price": {"amount": 5}}`, `{"bedrooms": null}`,
	} {
		pr := s.do(&p, "PATCH", path, body).problem(422)
		if len(pr.Errors) == 0 {
			t.Errorf("%s: no field errors", body)
		}
	}
	var after view
	s.do(&p, "GET", path, nil).want(200).decode(&after)
	if after != v {
		t.Fatalf("refused patches changed the listing:\n%+v\n%+v", after, v)
	}
}

// TestSearchOverHTTP: near gives distance_km, nearest first; next_cursor
// walks every result once; filters combine.
func TestSearchOverHTTP(t *testing.T) {
	s := newServer(t, storetest.OpenSQLite)
	p := s.provider("p1", true)
	customer := auth.Principal{ID: "c1", Role: auth.RoleCustomer}
	centre := location{Lat: 47.6097, Lng: -122.3422}
	// Homes every 500 m due east, the farthest first, and one far away.
	var ids []string
	for i := 9; i >= 0; i-- {
		d := seattle()
		d.Location = destination(centre, 90, float64(i)*0.5)
		d.Bedrooms = i % 4
		d.Price = usd(int64(i+1) * 10_000_000)
		d.Title = fmt.Sprintf("Home %d", i)
		ids = append([]string{s.create(p, d).ID}, ids...)
	}
	far := seattle()
	far.Location = location{Lat: 45.5152, Lng: -122.6784} // Portland
	s.create(p, far)

	var pg page
	s.do(&customer, "GET", "/listings?near=47.6097,-122.3422&radius_km=3.2&limit=4", nil).want(200).decode(&pg)
	var got []string
	var dists []float64
	for {
		for _, v := range pg.Items {
			got = append(got, v.ID)
			if v.DistanceKM == nil {
				t.Fatal("an item of a radius search has no distance_km")
			}
			dists = append(dists, *v.DistanceKM)
		}
		if pg.NextCursor == "" {
			break
		}
		cursor := pg.NextCursor
		pg = page{}
		s.do(&customer, "GET", "/listings?near=47.6097,-122.3422&radius_km=3.2&limit=4&cursor="+cursor, nil).want(200).decode(&pg)
	}
	if !slices.Equal(got, ids[:7]) { // 0 to 3 km, within 3.2
		t.Fatalf("radius 3.2 km: %v, want %v", got, ids[:7])
	}
	for i, d := range dists {
		if want := float64(i) * 0.5; d < want-0.001 || d > want+0.001 {
			t.Fatalf("item %d at %.4f km, want %.1f", i, d, want)
		}
	}

	pg = page{}
	s.do(&customer, "GET", "/listings?near=47.6097,-122.3422&radius_km=50&bedrooms=2&min_price=20000000&max_price=80000000", nil).
		want(200).decode(&pg)
	var filtered []string
	for _, v := range pg.Items {
		if v.Bedrooms < 2 || v.Price.Amount < 20_000_000 || v.Price.Amount > 80_000_000 {
			t.Fatalf("filters let through %+v", v)
		}
		filtered = append(filtered, v.Title)
	}
	if !slices.Equal(filtered, []string{"Home 2", "Home 3", "Home 6", "Home 7"}) {
		t.Fatalf("filtered %v", filtered)
	}

	pg = page{}
	s.do(&customer, "GET", "/listings?q=HOME%205", nil).want(200).decode(&pg)
	if len(pg.Items) != 1 || pg.Items[0].Title != "Home 5" || pg.Items[0].DistanceKM != nil {
		t.Fatalf("q=HOME 5: %+v", pg.Items)
	}

	// A cursor belongs to its query.
	pg = page{}
	s.do(&customer, "GET", "/listings?near=47.6097,-122.3422&radius_km=3&limit=2", nil).want(200).decode(&pg)
	pr := s.do(&customer, "GET", "/listings?near=47.6097,-122.3422&radius_km=4&limit=2&cursor="+pg.NextCursor, nil).problem(400)
	if len(pr.Errors) != 1 || pr.Errors[0].Field != "cursor" {
		t.Fatalf("cursor of another query: %+v", pr)
	}
	s.do(&customer, "GET", "/listings?limit=2&cursor="+pg.NextCursor, nil).problem(400)
}

// isPermanent reports whether err is bus.Permanent's: the bus tells those by
// their (unexported) type, so the test looks at the type's name.
func isPermanent(err error) bool {
	return err != nil && fmt.Sprintf("%T", err) == "bus.permanentError"
}

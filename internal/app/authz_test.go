package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/platform/apidoc/apidoctest"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/twiliofake"
)

// TestAuthorizationMatrix is the access matrix generated from the
// authorization table the router enforces (App.Routes): every route, called
// by every role (anonymous, customer, provider, realtor, admin, a service the
// rule names and one it does not), on the caller's own resource and on
// another user's. The expected status comes from the table row alone:
//
//   - a caller the rule does not admit: 401 when anonymous, else 403;
//   - an admitted caller on an Unowned or OwnedByCaller route, or on their own
//     resource: the route's success status;
//   - an admitted caller on another user's resource (OwnedByPath): 404, as if
//     it did not exist, except admins, who see everything; on OwnerOnly
//     routes admins get 404 too.
//
// And no answer to a caller other than an admin contains another user's
// email, nor does any refusal contain the other user's id or name (OWASP
// API1 object level, API5 function level). A route without a fixture
// below fails the test, so a new route cannot skip the matrix; a route
// without a rule cannot even be mounted (auth.Mount).
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel() // one of the package's longest tests: they overlap, each on a system of its own
	cfg := withTwilio(t, withServiceSecrets(backends(t)["embedded"]))
	cfg.AdminEmail, cfg.AdminPassword = "root@example.com", "the admin passphrase"
	a, c := startApp(t, cfg)
	m := newMatrix(t, c, cfg)

	fixtures := m.fixtures()
	for _, rt := range a.Routes() {
		fx, ok := fixtures[rt.Pattern]
		if !ok {
			t.Errorf("route %q has no fixture in the access matrix: add one to fixtures()", rt.Pattern)
			continue
		}
		delete(fixtures, rt.Pattern)
		t.Run(rt.Pattern, func(t *testing.T) { m.check(t, rt, fx) })
	}
	for pattern := range fixtures {
		t.Errorf("fixture for %q, a route the app does not serve", pattern)
	}
}

// actor is someone calling the API in the matrix.
type actor struct {
	label   string
	role    string // "" anonymous, "service" for service identities
	token   string
	id      string
	email   string
	name    string
	lat     float64 // realtors: where they work
	lng     float64
	service string
}

type matrix struct {
	t     *testing.T
	c     client
	cfg   app.Config
	n     int
	slot  int
	users map[string][2]*actor // role -> me, other
	anon  *actor
	// listings near each realtor's area, by realtor id
	near map[string][]string
	// twilio is the local Twilio the app texts through (nil: no SMS).
	twilio *twiliofake.Server
	// waiting are tours awaiting a provider's approval (approvals_test.go),
	// by provider id and use.
	waiting map[string]string
}

func newMatrix(t *testing.T, c client, cfg app.Config) *matrix {
	m := &matrix{t: t, c: c, cfg: cfg, users: map[string][2]*actor{}, near: map[string][]string{}, anon: &actor{label: "anonymous"}, waiting: map[string]string{},
		twilio: twilioFake(cfg.Twilio.APIURL)}
	admin := &actor{label: "admin", role: "admin", email: cfg.AdminEmail, name: "root", token: c.login(cfg.AdminEmail, cfg.AdminPassword)}
	_, me := c.call("GET", "/iam/me", admin.token, nil)
	admin.id = me["id"].(string)
	m.users["admin"] = [2]*actor{admin, m.newAdmin()}
	for _, role := range []string{"customer", "provider", "realtor"} {
		m.users[role] = [2]*actor{m.register(role, role), m.register(role+"2", role)}
	}
	// The realtors work 130 km apart (Chicago, Milwaukee), so a home near
	// one is toured by that one.
	m.realtorProfile(m.users["realtor"][0], 41.8781, -87.6298)
	m.realtorProfile(m.users["realtor"][1], 43.0389, -87.9065)
	for _, r := range m.users["realtor"] {
		for i := range 2 {
			m.near[r.id] = append(m.near[r.id], m.listing(m.users["provider"][0], r.lat+0.001*float64(i), r.lng))
		}
	}
	return m
}

func (m *matrix) register(label, role string) *actor {
	m.t.Helper()
	m.n++
	a := &actor{label: label, role: role, email: fmt.Sprintf("%s-%d@example.com", label, m.n), name: fmt.Sprintf("Person %s %d", label, m.n)}
	status, u := m.c.call("POST", "/iam/register", "", map[string]string{"email": a.email, "password": "a decent passphrase", "name": a.name, "role": role})
	if status != 201 {
		m.t.Fatalf("register %s = %d %v", label, status, u)
	}
	a.id = u["id"].(string)
	if role != "customer" {
		m.admin("PATCH", "/iam/users/"+a.id, map[string]any{"verified": true}, 200)
	}
	a.token = m.c.login(a.email, "a decent passphrase")
	return a
}

// newAdmin makes a second admin the only way there is: the operator's
// command (app.CreateAdmin, what `openhouse admin create` runs).
func (m *matrix) newAdmin() *actor {
	m.t.Helper()
	a := &actor{label: "admin2", role: "admin", email: "admin2@example.com"}
	if _, err := app.CreateAdmin(m.t.Context(), m.cfg, a.email, "another admin passphrase"); err != nil {
		m.t.Fatal(err)
	}
	a.token = m.c.login(a.email, "another admin passphrase")
	_, me := m.c.call("GET", "/iam/me", a.token, nil)
	a.id, a.name = me["id"].(string), me["name"].(string)
	return a
}

// at is a time in Chicago days from now, at hour.
func at(days, hour int) time.Time {
	chicago, _ := time.LoadLocation("America/Chicago")
	d := time.Now().In(chicago).AddDate(0, 0, days)
	return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, chicago)
}

// fill empties customer c's cart and puts listing in it.
func (m *matrix) fill(c *actor, listing string) {
	m.t.Helper()
	_, cart := m.c.call("GET", "/cart", c.token, nil)
	items, _ := cart["items"].([]any)
	for _, it := range items {
		m.c.call("DELETE", "/cart/items/"+it.(map[string]any)["listing_id"].(string), c.token, nil)
	}
	if status, out := m.c.call("POST", "/cart/items", c.token, map[string]string{"listing_id": listing}); status != 200 {
		m.t.Fatalf("add to cart = %d %v", status, out)
	}
}

func (m *matrix) admin(method, path string, body any, want int) map[string]any {
	m.t.Helper()
	status, out := m.c.call(method, path, m.users["admin"][0].token, body)
	if status != want {
		m.t.Fatalf("%s %s as admin = %d %v", method, path, status, out)
	}
	return out
}

func (m *matrix) realtorProfile(r *actor, lat, lng float64) {
	m.t.Helper()
	r.lat, r.lng = lat, lng
	status, me := m.c.call("PATCH", "/iam/me", r.token, realtorProfileBody(lat, lng))
	if status != 200 {
		m.t.Fatalf("realtor profile = %d %v", status, me)
	}
}

// realtorProfileBody makes a realtor available at (lat, lng) within 30 km,
// every day from 08:00 to 20:00 in Chicago.
func realtorProfileBody(lat, lng float64) map[string]any {
	hours := []map[string]any{}
	for day := 1; day <= 7; day++ {
		hours = append(hours, map[string]any{"weekday": day, "start": "08:00", "end": "20:00"})
	}
	return map[string]any{
		"location": map[string]float64{"lat": lat, "lng": lng}, "service_radius_km": 30,
		"time_zone": "America/Chicago", "working_hours": hours, "status": "available"}
}

// listingBody is a valid listing in Chicago's time zone at (lat, lng).
func listingBody(title string, lat, lng float64) map[string]any {
	return map[string]any{
		"title": title, "description": "A home", "time_zone": "America/Chicago",
		"address":  map[string]string{"line1": "1 Main St", "city": "Chicago", "region": "IL", "postal_code": "60601", "country": "US"},
		"location": map[string]float64{"lat": lat, "lng": lng},
		"price":    map[string]any{"amount": 45000000, "currency": "USD"}, "tour_fee": map[string]any{"amount": 2500, "currency": "USD"},
		"bedrooms": 2, "bathrooms": 1,
	}
}

// listing creates a listing of provider p, once the listing service has
// heard that p is verified.
func (m *matrix) listing(p *actor, lat, lng float64) string {
	m.t.Helper()
	var id string
	eventually(m.t, "the listing service to accept the verified provider", 10*time.Second, func() bool {
		status, out := m.c.call("POST", "/listings", p.token, listingBody("Home of "+p.label, lat, lng))
		if status == 201 {
			id = out["id"].(string)
			return true
		}
		if status != 403 {
			m.t.Fatalf("create listing = %d %v", status, out)
		}
		return false
	})
	return id
}

// booking is a paid tour and what it made.
type booking struct {
	tour, payment, appointment string
}

// book has customer c buy a tour of a home near realtor r, and waits until
// r is assigned. Every booking takes the next slot two hours on, so the
// realtors are never busy.
func (m *matrix) book(c, r *actor) booking {
	m.t.Helper()
	m.slot++
	m.fill(c, m.near[r.id][0])
	start := at(3+m.slot/6, 8+2*(m.slot%6))
	status, raw := m.c.raw("POST", "/cart/checkout", c.token, map[string]string{"Idempotency-Key": fmt.Sprintf("matrix-%d", m.slot)},
		map[string]string{"scheduled_at": start.Format(time.RFC3339), "payment_method": "tok_visa"})
	if status != 201 {
		m.t.Fatalf("checkout = %d %s", status, raw)
	}
	var order struct {
		OrderID string `json:"order_id"`
		Payment struct {
			ID string `json:"id"`
		} `json:"payment"`
	}
	if err := json.Unmarshal(raw, &order); err != nil {
		m.t.Fatal(err)
	}
	var b booking
	b.payment = order.Payment.ID
	eventually(m.t, "the tour to be scheduled", 15*time.Second, func() bool {
		_, out := m.c.call("GET", "/tours?limit=100&customer_id="+c.id, m.users["admin"][0].token, nil)
		for _, it := range out["items"].([]any) {
			tour := it.(map[string]any)
			if tour["order_id"] != order.OrderID {
				continue
			}
			if tour["status"] == "unassigned" {
				m.t.Fatalf("tour unassigned: %v", tour)
			}
			if tour["status"] == "scheduled" {
				if tour["realtor_id"] != r.id {
					m.t.Fatalf("tour went to %v, want %s", tour["realtor_id"], r.id)
				}
				b.tour = tour["id"].(string)
				return true
			}
		}
		return false
	})
	out := m.admin("GET", "/appointments?limit=100&realtor_id="+r.id, nil, 200)
	for _, it := range out["items"].([]any) {
		if ap := it.(map[string]any); ap["tour_id"] == b.tour {
			b.appointment = ap["id"].(string)
		}
	}
	if b.appointment == "" {
		m.t.Fatalf("no appointment for tour %s", b.tour)
	}
	return b
}

// refreshToken signs the customer in and returns the refresh token. (Not
// the admin: the login fixture's wrong passwords throttle the admin's
// sign-ins from this address.)
func (m *matrix) refreshToken() string {
	m.t.Helper()
	status, out := m.c.call("POST", "/iam/login", "", map[string]string{"email": m.users["customer"][0].email, "password": "a decent passphrase"})
	rt, _ := out["refresh_token"].(string)
	if status != 200 || rt == "" {
		m.t.Fatalf("login for a refresh token = %d %v", status, out)
	}
	return rt
}

// phoneCode registers a's phone (+1 312 555 0123) and returns the code the
// Twilio fake received for it; anyone else gets a made-up code.
func (m *matrix) phoneCode(a *actor) string {
	m.t.Helper()
	if a.role == "" || a.role == "service" || m.twilio == nil {
		return "123456"
	}
	if status, out := m.c.call("PUT", "/notifications/phone", a.token, map[string]string{"number": "+1 312 555 0123"}); status != 202 {
		m.t.Fatalf("register phone = %d %v", status, out)
	}
	msgs := m.twilio.Messages()
	return regexp.MustCompile(`\d{6}`).FindString(msgs[len(msgs)-1].Body)
}

// phone gives a a verified phone.
func (m *matrix) phone(a *actor) {
	m.t.Helper()
	code := m.phoneCode(a)
	if a.role == "" || a.role == "service" {
		return
	}
	if status, out := m.c.call("POST", "/notifications/phone/verify", a.token, map[string]string{"code": code}); status != 200 {
		m.t.Fatalf("verify phone = %d %v", status, out)
	}
}

// feedPath gets a new calendar feed URL for a and returns its path once the
// notification service serves it.
func (m *matrix) feedPath(a *actor) string {
	m.t.Helper()
	status, out := m.c.call("POST", "/iam/me/calendar-token", a.token, nil)
	feed, _ := out["feed_url"].(string)
	u, err := url.Parse(feed)
	if status != 200 || err != nil || !strings.HasPrefix(u.Path, "/calendar/") {
		m.t.Fatalf("calendar token = %d %v", status, out)
	}
	eventually(m.t, "the feed to be served", 10*time.Second, func() bool {
		status, _ := m.c.raw("GET", u.Path, "", nil, nil)
		return status == 200
	})
	return u.Path
}

// serviceToken is a token of the service identity name.
func (m *matrix) serviceActor(name string) *actor {
	return &actor{label: "service " + name, role: "service", service: name, token: serviceToken(m.t, m.c, m.cfg, name), id: "service:" + name}
}

// request is one call of a route.
type request struct {
	method, path string
	body         any
	headers      map[string]string
	basic        *[2]string
	// invalid requests break the API document on purpose (bad input);
	// only their answers are checked against it.
	invalid bool
}

// fixture builds calls of one route.
type fixture struct {
	// owners are the roles whose users can own the route's resource
	// (OwnedByPath routes); the first is the default owner.
	owners []string
	// build returns a call of the route on a resource of owner, first
	// creating what the call needs. For an OwnedByCaller route owner is
	// the caller when they are a user.
	build func(owner *actor) request
	// ok are the statuses that mean "let through"; nil means any 2xx.
	ok []int
}

func (m *matrix) fixtures() map[string]fixture {
	me := func(role string) *actor { return m.users[role][0] }
	static := func(method, path string, body any) func(*actor) request {
		return func(*actor) request { return request{method: method, path: path, body: body} }
	}
	unowned := func(build func(*actor) request) fixture { return fixture{build: build} }
	// A customer's booking with the Chicago realtor, or the realtor's own.
	bookingOf := func(owner *actor) booking {
		switch owner.role {
		case "customer":
			return m.book(owner, me("realtor"))
		case "realtor":
			return m.book(me("customer"), owner)
		}
		m.t.Fatalf("%s cannot own a booking", owner.role)
		return booking{}
	}
	inbox := func(owner *actor) string {
		var id string
		eventually(m.t, "a notification", 10*time.Second, func() bool {
			_, out := m.c.call("GET", "/notifications", owner.token, nil)
			items, _ := out["items"].([]any)
			if len(items) == 0 {
				return false
			}
			id = items[0].(map[string]any)["id"].(string)
			return true
		})
		return id
	}
	return map[string]fixture{
		// iam
		"POST /iam/register": unowned(func(*actor) request {
			m.n++
			return request{method: "POST", path: "/iam/register", body: map[string]string{
				"email": fmt.Sprintf("newcomer-%d@example.com", m.n), "password": "a decent passphrase", "name": "Newcomer", "role": "customer"}}
		}),
		"POST /iam/login": unowned(func(*actor) request {
			return request{method: "POST", path: "/iam/login", body: map[string]string{"email": m.cfg.AdminEmail, "password": m.cfg.AdminPassword}}
		}),
		// Each call uses up its refresh token: every caller gets a fresh one.
		"POST /iam/refresh": unowned(func(*actor) request {
			return request{method: "POST", path: "/iam/refresh", body: map[string]string{"refresh_token": m.refreshToken()}}
		}),
		"POST /iam/logout": {build: func(*actor) request {
			return request{method: "POST", path: "/iam/logout", body: map[string]string{"refresh_token": m.refreshToken()}}
		}, ok: []int{204}},
		"POST /iam/token": unowned(func(*actor) request {
			r := request{method: "POST", path: "/iam/token", headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "grant_type=client_credentials"}
			r.basic = &[2]string{"cart", m.cfg.ServiceCredentials["cart"]}
			return r
		}),
		"GET /.well-known/jwks.json":  unowned(static("GET", "/.well-known/jwks.json", nil)),
		"GET /iam/me":                 unowned(static("GET", "/iam/me", nil)),
		"PATCH /iam/me":               unowned(static("PATCH", "/iam/me", map[string]string{"name": "Renamed"})),
		"GET /iam/users":              unowned(static("GET", "/iam/users", nil)),
		"POST /iam/me/calendar-token": unowned(static("POST", "/iam/me/calendar-token", nil)),
		"GET /iam/users/{id}": {owners: []string{"customer", "provider", "realtor", "admin"}, build: func(o *actor) request {
			return request{method: "GET", path: "/iam/users/" + o.id}
		}},
		"PATCH /iam/users/{id}": unowned(func(*actor) request {
			return request{method: "PATCH", path: "/iam/users/" + me("customer").id, body: map[string]bool{"verified": true}}
		}),
		"POST /iam/keys/rotate": unowned(static("POST", "/iam/keys/rotate", nil)),
		"GET /iam/audit":        unowned(static("GET", "/iam/audit?action=user.verified", nil)),

		// listing
		"POST /listings": unowned(func(*actor) request {
			return request{method: "POST", path: "/listings", body: listingBody("New home", 41.88, -87.63)}
		}),
		"GET /listings":      unowned(static("GET", "/listings?near=41.88,-87.63&radius_km=10", nil)),
		"GET /listings/{id}": unowned(func(*actor) request { return request{method: "GET", path: "/listings/" + m.near[me("realtor").id][0]} }),
		"PUT /listings/{id}": {owners: []string{"provider"}, build: func(o *actor) request {
			return request{method: "PUT", path: "/listings/" + m.listing(o, 41.95, -87.65), body: listingBody("Replaced", 41.95, -87.65)}
		}},
		"PATCH /listings/{id}": {owners: []string{"provider"}, build: func(o *actor) request {
			return request{method: "PATCH", path: "/listings/" + m.listing(o, 41.95, -87.65), body: map[string]string{"title": "Patched"}}
		}},
		"GET /listings/{id}/activity": {owners: []string{"provider"}, build: func(o *actor) request {
			return request{method: "GET", path: "/listings/" + m.listing(o, 41.95, -87.65) + "/activity"}
		}},
		"DELETE /listings/{id}": {owners: []string{"provider"}, build: func(o *actor) request {
			return request{method: "DELETE", path: "/listings/" + m.listing(o, 41.95, -87.65)}
		}},

		// places
		"GET /places":         unowned(static("GET", "/places?q=Chicago", nil)),
		"GET /places/geocode": unowned(static("GET", "/places/geocode?q=1+Main+St,+Chicago", nil)),

		// cart
		"GET /cart": unowned(static("GET", "/cart", nil)),
		"POST /cart/items": unowned(func(o *actor) request {
			return request{method: "POST", path: "/cart/items", body: map[string]string{"listing_id": m.near[me("realtor").id][1]}}
		}),
		"DELETE /cart/items/{listing_id}": unowned(func(o *actor) request {
			if o.role == "customer" {
				m.c.call("POST", "/cart/items", o.token, map[string]string{"listing_id": m.near[me("realtor").id][1]})
			}
			return request{method: "DELETE", path: "/cart/items/" + m.near[me("realtor").id][1]}
		}),
		"POST /cart/checkout": {build: func(o *actor) request {
			m.slot++
			if o.role == "customer" {
				m.fill(o, m.near[m.users["realtor"][1].id][1])
			}
			return request{method: "POST", path: "/cart/checkout", headers: map[string]string{"Idempotency-Key": fmt.Sprintf("matrix-checkout-%d", m.slot)},
				body: map[string]string{"scheduled_at": at(3+m.slot/6, 8+2*(m.slot%6)).Format(time.RFC3339), "payment_method": "tok_visa"}}
		}},
		"GET /carts": unowned(static("GET", "/carts", nil)),
		"GET /cart/slots": unowned(func(o *actor) request {
			if o.role == "customer" {
				m.fill(o, m.near[me("realtor").id][1])
			}
			return request{method: "GET", path: "/cart/slots?days=1"}
		}),
		"GET /listings/{id}/slots": unowned(func(*actor) request {
			return request{method: "GET", path: "/listings/" + m.near[me("realtor").id][0] + "/slots?days=2"}
		}),

		// payment
		"POST /payments": {build: func(*actor) request {
			m.slot++
			return request{method: "POST", path: "/payments", headers: map[string]string{"Idempotency-Key": fmt.Sprintf("matrix-charge-%d", m.slot)},
				body: map[string]any{"order_id": fmt.Sprintf("matrix-order-%d", m.slot), "customer_id": me("customer").id,
					"amount": map[string]any{"amount": 2500, "currency": "USD"}, "payment_method": "tok_visa",
					"listing_ids": []string{m.near[me("realtor").id][0]}, "scheduled_at": time.Now().AddDate(1, 0, 0).Format(time.RFC3339)}}
		}, ok: []int{201}},
		"GET /payments": unowned(static("GET", "/payments", nil)),
		"GET /payments/{id}": {owners: []string{"customer"}, build: func(o *actor) request {
			return request{method: "GET", path: "/payments/" + bookingOf(o).payment}
		}},
		"POST /payments/{id}/refund": unowned(func(*actor) request {
			return request{method: "POST", path: "/payments/" + bookingOf(me("customer")).payment + "/refund", body: map[string]string{"reason": "matrix"}}
		}),

		// tour
		"GET /tours":       unowned(static("GET", "/tours", nil)),
		"GET /tours/stats": unowned(static("GET", "/tours/stats?hours=2", nil)),
		"GET /tours/{id}":  {owners: []string{"customer", "realtor"}, build: func(o *actor) request { return request{method: "GET", path: "/tours/" + bookingOf(o).tour} }},
		"GET /tours/{id}/slots": {owners: []string{"customer", "realtor"}, build: func(o *actor) request {
			return request{method: "GET", path: "/tours/" + bookingOf(o).tour + "/slots?days=1"}
		}},
		"PATCH /tours/{id}": {owners: []string{"customer", "realtor"}, build: func(o *actor) request {
			m.slot++
			return request{method: "PATCH", path: "/tours/" + bookingOf(o).tour, body: map[string]string{"scheduled_at": at(30+m.slot/6, 9+2*(m.slot%5)).Format(time.RFC3339)}}
		}},
		"PUT /tours/{id}": {owners: []string{"customer", "realtor"}, build: func(o *actor) request {
			m.slot++
			return request{method: "PUT", path: "/tours/" + bookingOf(o).tour, body: map[string]string{"scheduled_at": at(30+m.slot/6, 9+2*(m.slot%5)).Format(time.RFC3339)}}
		}},
		"DELETE /tours/{id}":   {owners: []string{"customer", "realtor"}, build: func(o *actor) request { return request{method: "DELETE", path: "/tours/" + bookingOf(o).tour} }},
		"GET /tours/approvals": unowned(static("GET", "/tours/approvals", nil)),
		// A provider's conflicts are of their own homes; admins name one.
		"GET /tours/conflicts": unowned(static("GET", "/tours/conflicts?listing_id=matrix-listing", nil)),
		// A tour awaiting the answer of the owner's home, one per owner and
		// route: answering again is the same state (200).
		"POST /tours/{id}/stops/{listing_id}/approve": {owners: []string{"provider"}, build: func(o *actor) request {
			return request{method: "POST", path: m.awaiting(o, "approve") + "/approve"}
		}},
		"POST /tours/{id}/stops/{listing_id}/decline": {owners: []string{"provider"}, build: func(o *actor) request {
			return request{method: "POST", path: m.awaiting(o, "decline") + "/decline"}
		}},
		// Only the assigned realtor; three days ahead the window is not
		// open yet (409 with opens_at).
		"GET /tours/{id}/access": {owners: []string{"realtor"}, build: func(o *actor) request {
			return request{method: "GET", path: "/tours/" + bookingOf(o).tour + "/access"}
		}, ok: []int{409}},
		// Feedback and no-shows: only the tour's customer and realtor; three
		// days ahead the tour has neither started nor ended (409).
		"GET /tours/{id}/feedback": {owners: []string{"customer", "realtor"}, build: func(o *actor) request {
			return request{method: "GET", path: "/tours/" + bookingOf(o).tour + "/feedback"}
		}},
		"PUT /tours/{id}/feedback/{listing_id}": {owners: []string{"customer", "realtor"}, build: func(o *actor) request {
			home := m.near[me("realtor").id][0]
			if o.role == "realtor" {
				home = m.near[o.id][0]
			}
			return request{method: "PUT", path: "/tours/" + bookingOf(o).tour + "/feedback/" + home,
				body: map[string]any{"rating": 4, "interest": "high", "price_opinion": "right", "comment": "Bright kitchen"}}
		}, ok: []int{409}},
		"POST /tours/{id}/no-show": {owners: []string{"realtor"}, build: func(o *actor) request {
			return request{method: "POST", path: "/tours/" + bookingOf(o).tour + "/no-show"}
		}, ok: []int{409}},
		// The tour service's read of a home's access, set first.
		"GET /listings/{id}/access": unowned(func(*actor) request {
			id := m.near[me("realtor").id][1]
			if status, out := m.c.call("PATCH", "/listings/"+id, me("provider").token, map[string]any{
				"access": map[string]string{"instructions": "Side door", "code": "2468"}}); status != 200 {
				m.t.Fatalf("set access = %d %v", status, out)
			}
			return request{method: "GET", path: "/listings/" + id + "/access"}
		}),

		// appointment
		"GET /appointments": unowned(static("GET", "/appointments", nil)),
		"GET /appointments/{id}": {owners: []string{"realtor", "customer"}, build: func(o *actor) request {
			return request{method: "GET", path: "/appointments/" + bookingOf(o).appointment}
		}},
		"POST /appointments/{id}/confirm": {owners: []string{"realtor", "customer"}, build: func(o *actor) request {
			return request{method: "POST", path: "/appointments/" + bookingOf(o).appointment + "/confirm"}
		}},
		"POST /appointments/{id}/decline": {owners: []string{"realtor", "customer"}, build: func(o *actor) request {
			return request{method: "POST", path: "/appointments/" + bookingOf(o).appointment + "/decline"}
		}},

		// Holds: the cart and the tour service place and give back holds.
		"POST /appointments/holds": {build: func(*actor) request {
			m.slot++
			start := at(70+m.slot, 10)
			return request{method: "POST", path: "/appointments/holds", body: map[string]any{
				"hold_id": fmt.Sprintf("matrix-hold-%d", m.slot), "customer_id": me("customer").id,
				"listing_ids": []string{m.near[me("realtor").id][0]}, "stops": []map[string]float64{{"lat": 41.88, "lng": -87.63}},
				"starts_at": start, "ends_at": start.Add(30 * time.Minute)}}
		}, ok: []int{201}},
		"DELETE /appointments/holds/{id}": {build: static("DELETE", "/appointments/holds/matrix-never-held", nil), ok: []int{204}},
		// Schedules: iam, before it saves a realtor's time off or cap (of a
		// realtor nobody books, so the matrix's bookings stay possible).
		"PUT /appointments/realtors/{id}/schedule": unowned(static("PUT", "/appointments/realtors/matrix-realtor/schedule", map[string]any{
			"time_zone": "America/Chicago", "max_tours_per_day": 2, "at": time.Now().UTC(),
			"time_off": []map[string]time.Time{{"start": time.Now().AddDate(0, 0, 200).UTC(), "end": time.Now().AddDate(0, 0, 201).UTC()}}})),
		"GET /appointments/agenda":   unowned(static("GET", "/appointments/agenda?days=7", nil)),
		"GET /appointments/showings": unowned(static("GET", "/appointments/showings?listing_id=matrix-listing&time_zone=America/Chicago&from=2026-12-04&days=7", nil)),

		// availability
		"GET /availability": unowned(static("GET", "/availability?lat=41.88&lng=-87.63&start="+tomorrowLocal(9)+"&end="+tomorrowLocal(10), nil)),
		"GET /availability/slots": unowned(static("GET", "/availability/slots?lat=41.88&lng=-87.63&from="+url.QueryEscape(tomorrowLocal(9))+
			"&to="+url.QueryEscape(tomorrowLocal(12))+"&length=90m", nil)),
		"GET /availability/{realtor_id}": unowned(func(*actor) request {
			return request{method: "GET", path: "/availability/" + me("realtor").id}
		}),
		"PATCH /availability/{realtor_id}": unowned(func(*actor) request {
			m.slot++
			start := time.Now().AddDate(0, 0, 60+m.slot).Truncate(time.Hour)
			return request{method: "PATCH", path: "/availability/" + me("realtor").id, body: map[string]any{
				"action": "reserve", "tour_id": fmt.Sprintf("matrix-tour-%d", m.slot), "start": start, "end": start.Add(time.Hour)}}
		}),

		// notification
		"GET /notifications":             unowned(static("GET", "/notifications", nil)),
		"GET /notifications/preferences": unowned(static("GET", "/notifications/preferences", nil)),
		"PUT /notifications/preferences": unowned(static("PUT", "/notifications/preferences", map[string]any{
			"channels": map[string][]string{"booked": {"inbox", "email", "sms"}, "reminder": {"inbox"}}, "reminder_offsets_minutes": []int{60},
			"quiet_hours": map[string]string{"start": "22:00", "end": "07:00"}, "time_zone": "America/Chicago"})),
		"GET /notifications/phone": unowned(func(o *actor) request {
			m.phone(o)
			return request{method: "GET", path: "/notifications/phone"}
		}),
		"PUT /notifications/phone": {build: static("PUT", "/notifications/phone", map[string]string{"number": "+1 312 555 0123"}), ok: []int{202}},
		"POST /notifications/phone/verify": unowned(func(o *actor) request {
			return request{method: "POST", path: "/notifications/phone/verify", body: map[string]string{"code": m.phoneCode(o)}}
		}),
		"DELETE /notifications/phone": {build: func(o *actor) request {
			m.phone(o)
			return request{method: "DELETE", path: "/notifications/phone"}
		}, ok: []int{204}},
		"GET /notifications/deliveries": unowned(static("GET", "/notifications/deliveries?channel=email", nil)),
		// Twilio's signature is the credential: a signed text from a number
		// nobody verified is answered (empty TwiML) whoever posts it.
		"POST /notifications/sms/inbound": unowned(func(*actor) request {
			m.n++
			form := map[string]string{"MessageSid": fmt.Sprintf("SMmatrix%d", m.n), "From": "+13125550999", "To": testTwilioFrom, "Body": "hello"}
			vals := url.Values{}
			for k, v := range form {
				vals.Set(k, v)
			}
			return request{method: "POST", path: "/notifications/sms/inbound", body: vals.Encode(), headers: map[string]string{
				"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": twilioSign(testTwilioToken, m.c.base+"/notifications/sms/inbound", form)}}
		}),
		// A feed opens with its secret URL, whoever asks: every caller gets
		// the customer's feed through a fresh token.
		"GET /calendar/{file}": unowned(func(*actor) request {
			return request{method: "GET", path: m.feedPath(me("customer"))}
		}),
		"POST /notifications/{id}/read": {owners: []string{"customer", "realtor"}, build: func(o *actor) request {
			bookingOf(o)
			return request{method: "POST", path: "/notifications/" + inbox(o) + "/read"}
		}},
		"GET /notifications/webhook": {build: func(o *actor) request {
			if o.role != "" && o.role != "service" {
				m.c.call("PUT", "/notifications/webhook", o.token, map[string]string{"url": "https://hooks.example.com/openhouse", "secret": "a webhook secret of some length"})
			}
			return request{method: "GET", path: "/notifications/webhook"}
		}},
		"PUT /notifications/webhook": unowned(static("PUT", "/notifications/webhook", map[string]string{"url": "https://hooks.example.com/openhouse", "secret": "a webhook secret of some length"})),
		"DELETE /notifications/webhook": {build: func(o *actor) request {
			if o.role != "" && o.role != "service" {
				m.c.call("PUT", "/notifications/webhook", o.token, map[string]string{"url": "https://hooks.example.com/openhouse", "secret": "a webhook secret of some length"})
			}
			return request{method: "DELETE", path: "/notifications/webhook"}
		}},

		// the app's own
		"GET /admin/dead-letters": unowned(static("GET", "/admin/dead-letters", nil)),
		// No event has failed, so an admitted caller gets 404 for the
		// sequence; callers the rule refuses never learn that.
		"POST /admin/dead-letters/{seq}/replay": {build: static("POST", "/admin/dead-letters/1/replay", nil), ok: []int{404}},
		"GET /healthz":                          unowned(static("GET", "/healthz", nil)),
		"GET /readyz":                           unowned(static("GET", "/readyz", nil)),
		"GET /metrics":                          unowned(static("GET", "/metrics", nil)),

		// the web app (internal/web): public pages, and the live stream.
		// Without Accept: text/event-stream an admitted caller gets 406
		// rather than a stream that never ends; internal/web's tests check
		// that each user hears only of their own resources.
		"GET /{$}":           unowned(static("GET", "/", nil)),
		"GET /app/":          unowned(static("GET", "/app/", nil)),
		"GET /events/stream": {build: static("GET", "/events/stream", nil), ok: []int{406}},

		// the API descriptions and their reference page: public.
		"GET /openapi.json":  unowned(static("GET", "/openapi.json", nil)),
		"GET /asyncapi.json": unowned(static("GET", "/asyncapi.json", nil)),
		"GET /docs":          unowned(static("GET", "/docs", nil)),
		"GET /docs/{file}":   unowned(static("GET", "/docs/init.js", nil)),
	}
}

// check runs one route's row of the matrix.
func (m *matrix) check(t *testing.T, rt auth.Route, fx fixture) {
	callers := []*actor{m.anon}
	for _, role := range []string{"customer", "provider", "realtor", "admin"} {
		callers = append(callers, m.users[role][0])
	}
	if len(rt.Rule.Services) > 0 {
		callers = append(callers, m.serviceActor(rt.Rule.Services[0]))
	}
	for _, name := range app.ServiceNames() {
		if !slices.Contains(rt.Rule.Services, name) {
			callers = append(callers, m.serviceActor(name))
			break
		}
	}
	for _, caller := range callers {
		admitted := rt.Rule.Allows(principalOf(caller)) || (caller.role == "" && rt.Rule.Anyone)
		isUser := caller.role != "" && caller.role != "service"
		switch {
		case rt.Owner != auth.OwnedByPath && rt.Owner != auth.OwnerOnly:
			owner := caller
			if !isUser {
				owner = m.users["customer"][0]
			}
			m.expect(t, rt, fx, caller, owner, "", admitted, fx.build(owner))
		default:
			if slices.Contains(fx.owners, caller.role) {
				m.expect(t, rt, fx, caller, caller, "own", admitted, fx.build(caller))
			}
			other := m.users[fx.owners[0]][1]
			if slices.Contains(fx.owners, caller.role) {
				other = m.users[caller.role][1]
			}
			m.expect(t, rt, fx, caller, other, "other's", admitted, fx.build(other))
		}
	}
}

func principalOf(a *actor) auth.Principal {
	switch a.role {
	case "":
		return auth.Principal{}
	case "service":
		return auth.ServicePrincipal(a.service)
	}
	return auth.Principal{ID: a.id, Role: auth.Role(a.role)}
}

func (m *matrix) expect(t *testing.T, rt auth.Route, fx fixture, caller, owner *actor, whose string, admitted bool, req request) {
	t.Helper()
	status, body := m.send(caller, req)
	what := fmt.Sprintf("%s %s as %s", req.method, req.path, caller.label)
	if whose != "" {
		what += " on " + whose + " resource"
	}
	var want string
	switch {
	case !admitted && caller.role == "":
		want = "401"
	case !admitted:
		want = "403"
	case whose == "other's" && (caller.role != "admin" || rt.Owner == auth.OwnerOnly):
		want = "404"
	default:
		want = "ok"
	}
	got := fmt.Sprint(status)
	if want == "ok" {
		if (fx.ok == nil && status >= 200 && status < 300) || slices.Contains(fx.ok, status) {
			got = "ok"
		}
	}
	if got != want {
		t.Errorf("%s = %d %s, want %s", what, status, truncate(body), want)
	}
	if caller.role == "admin" {
		return
	}
	reqBody := fmt.Sprint(req.body)
	for _, pair := range m.users {
		for _, other := range pair {
			if other == caller || strings.Contains(reqBody, other.email) {
				continue
			}
			if bytes.Contains(body, []byte(other.email)) {
				t.Errorf("%s: the answer shows %s's email: %s", what, other.label, truncate(body))
			}
		}
	}
	if status == 401 || status == 403 || status == 404 {
		// The path may carry the owner's id (the caller put it there, and
		// the problem's instance repeats it); nothing else may.
		leak := bytes.Contains(body, []byte(owner.name)) ||
			(!strings.Contains(req.path, owner.id) && bytes.Contains(body, []byte(owner.id)))
		if owner != caller && leak {
			t.Errorf("%s: the refusal names %s: %s", what, owner.label, truncate(body))
		}
	}
}

func (m *matrix) send(caller *actor, r request) (int, []byte) {
	m.t.Helper()
	var rd io.Reader
	contentType := ""
	switch b := r.body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
		contentType = "application/json"
	}
	ctx := m.t.Context()
	if r.invalid {
		ctx = apidoctest.InvalidOnPurpose(ctx)
	}
	req, _ := http.NewRequestWithContext(ctx, r.method, m.c.base+r.path, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	if caller.token != "" && r.basic == nil {
		req.Header.Set("Authorization", "Bearer "+caller.token)
	}
	if r.basic != nil {
		// The token endpoint authenticates clients by their secret,
		// whoever else the caller is.
		req.SetBasicAuth(r.basic[0], r.basic[1])
	}
	resp, err := m.c.http.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// TestPropertyLevelAuthorization: the fields a caller may not set are not
// part of what their endpoints accept (OWASP API3). Each attempt is a 4xx
// problem and changes nothing: a customer cannot make themselves verified,
// active or an admin, a provider cannot give a listing to someone else or
// set its status, a customer cannot set what they pay.
func TestPropertyLevelAuthorization(t *testing.T) {
	cfg := withServiceSecrets(backends(t)["embedded"])
	cfg.AdminEmail, cfg.AdminPassword = "root@example.com", "the admin passphrase"
	_, c := startApp(t, cfg)
	m := newMatrix(t, c, cfg)
	customer, provider := m.users["customer"][0], m.users["provider"][0]
	listing := m.listing(provider, 41.9, -87.7)
	_, before := c.call("GET", "/iam/me", customer.token, nil)
	_, listingBefore := c.call("GET", "/listings/"+listing, provider.token, nil)
	// A cart ready to check out, so a refused checkout is refused for its
	// body and not for want of homes.
	m.fill(customer, listing)

	attempts := []struct {
		who          *actor
		method, path string
		body         any
	}{
		{customer, "PATCH", "/iam/me", map[string]any{"verified": true}},
		{customer, "PATCH", "/iam/me", map[string]any{"role": "admin"}},
		{customer, "PATCH", "/iam/me", map[string]any{"status": "active"}}, // a customer has no availability
		{customer, "PATCH", "/iam/me", map[string]any{"email": "someone-else@example.com"}},
		{customer, "PATCH", "/iam/me", map[string]any{"id": m.users["customer"][1].id}},
		{provider, "POST", "/listings", merge(listingBody("Mine now", 41.9, -87.7), map[string]any{"provider_id": m.users["provider"][1].id})},
		{provider, "POST", "/listings", merge(listingBody("Sold", 41.9, -87.7), map[string]any{"status": "sold"})},
		{provider, "PATCH", "/listings/" + listing, map[string]any{"provider_id": m.users["provider"][1].id}},
		{provider, "PATCH", "/listings/" + listing, map[string]any{"id": "another-id"}},
		{customer, "POST", "/cart/items", map[string]any{"listing_id": listing, "tour_fee": map[string]any{"amount": 1, "currency": "USD"}}},
		{customer, "POST", "/cart/checkout", map[string]any{"scheduled_at": tomorrowLocal(10), "payment_method": "tok_visa", "amount": map[string]any{"amount": 1, "currency": "USD"}}},
		{customer, "POST", "/cart/checkout", map[string]any{"scheduled_at": tomorrowLocal(10), "payment_method": "tok_visa", "customer_id": m.users["customer"][1].id}},
		{m.users["admin"][0], "PATCH", "/iam/users/" + customer.id, map[string]any{"role": "admin"}},
		{m.users["admin"][0], "PATCH", "/iam/users/" + customer.id, map[string]any{"email": "x@example.com"}},
	}
	for _, a := range attempts {
		status, raw := c.invalid().raw(a.method, a.path, a.who.token, map[string]string{"Idempotency-Key": "api3-" + a.path}, a.body)
		if status < 400 || status >= 500 {
			t.Errorf("%s %s as %s with %v = %d %s, want a 4xx", a.method, a.path, a.who.label, a.body, status, truncate(raw))
			continue
		}
		var p map[string]any
		if err := json.Unmarshal(raw, &p); err != nil || p["type"] == nil || p["status"] != float64(status) {
			t.Errorf("%s %s: not a problem document: %s", a.method, a.path, truncate(raw))
		}
	}
	if _, after := c.call("GET", "/iam/me", customer.token, nil); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the customer changed:\nbefore %v\nafter  %v", before, after)
	}
	if _, after := c.call("GET", "/listings/"+listing, provider.token, nil); fmt.Sprint(after) != fmt.Sprint(listingBefore) {
		t.Errorf("the listing changed:\nbefore %v\nafter  %v", listingBefore, after)
	}
	if _, cart := c.call("GET", "/cart", customer.token, nil); len(cart["items"].([]any)) != 1 {
		t.Errorf("the cart changed: %v", cart)
	}
	if _, payments := c.call("GET", "/payments", m.users["admin"][0].token, nil); len(payments["items"].([]any)) != 0 {
		t.Errorf("a payment was made: %v", payments)
	}
}

func merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

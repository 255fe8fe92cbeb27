package listing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// t0 is the fake clock's start: a whole second, in UTC.
var t0 = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func usd(amount int64) events.Money { return events.Money{Amount: amount, Currency: "USD"} }

// seattle is a valid listing in downtown Seattle; tests change one thing
// at a time.
func seattle() details {
	return details{
		Title:       "Sunny loft near Pike Place",
		Description: "Two bedrooms, one bath, view of the Sound.",
		Address: address{Line1: "85 Pike St", City: "Seattle", Region: "WA",
			PostalCode: "98101", Country: "US"},
		Location:  location{Lat: 47.6097, Lng: -122.3422},
		Price:     usd(85_000_000),
		Bedrooms:  2,
		Bathrooms: 1,
		TourFee:   usd(2_500),
		TimeZone:  "America/Los_Angeles",
	}
}

// newEvent builds an iam event as iam would publish it.
func newEvent(t testing.TB, typ, subject string, data any) bus.Event {
	t.Helper()
	ev, err := bus.NewEvent(context.Background(), typ, subject, data, t0)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func registered(t testing.TB, id string, verified bool, at time.Time) bus.Event {
	return newEvent(t, events.TypeUserRegistered, id, events.UserRegistered{
		UserID: id, Email: id + "@example.com", Name: id, Role: "provider", Status: "active",
		Verified: verified, RegisteredAt: at})
}

func verified(t testing.TB, id string, v bool, at time.Time) bus.Event {
	return newEvent(t, events.TypeUserVerified, id, events.UserVerified{
		UserID: id, Role: "provider", Verified: v, By: "admin-1", At: at})
}

func statusChanged(t testing.TB, id, status string, at time.Time) bus.Event {
	return newEvent(t, events.TypeUserStatusChanged, id, events.UserStatusChanged{
		UserID: id, Role: "provider", Status: status, By: "admin-1", At: at})
}

// openStore opens a migrated listing store on a fresh database.
func openStore(t testing.TB, open storetest.Opener, clk clock.Clock) (*SQLStore, *store.DB) {
	t.Helper()
	db := open(t, "listing")
	st, err := NewSQLStore(context.Background(), db, clk)
	if err != nil {
		t.Fatalf("NewSQLStore: %v", err)
	}
	return st, db
}

// server is the listing service behind the same middleware the app puts in
// front of it (authentication, problem+json for the mux's own errors), with
// an issuer to mint tokens for any caller.
type server struct {
	t        testing.TB
	svc      *Service
	store    *SQLStore
	db       *store.DB
	clock    *clock.Fake
	issuer   *auth.Issuer
	handler  http.Handler
	handlers map[string]bus.Handler // the iam and tour event handlers, as the bus would call them
}

func newServer(t testing.TB, open storetest.Opener) *server {
	t.Helper()
	clk := clock.NewFake(t0)
	st, db := openStore(t, open, clk)
	return newServerWith(t, st, db, clk)
}

// newServerOn serves an existing store (the benchmark's loaded one).
func newServerOn(t testing.TB, st *SQLStore) *server {
	return newServerWith(t, st, nil, clock.NewFake(t0))
}

func newServerWith(t testing.TB, st *SQLStore, db *store.DB, clk *clock.Fake) *server {
	t.Helper()
	ctx := context.Background()
	svc, err := New(st, Config{Clock: clk, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	iss, err := auth.NewIssuer(ctx, auth.NewMemoryKeyStore(), auth.IssuerConfig{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	if err := auth.Mount(mux, svc.Routes()); err != nil {
		panic(err)
	}
	verifier := auth.NewVerifier(iss, auth.VerifierConfig{Clock: clk})
	s := &server{t: t, svc: svc, store: st, db: db, clock: clk, issuer: iss,
		handler:  httpapi.Chain(mux, auth.Authenticate(verifier), httpapi.MuxErrors),
		handlers: map[string]bus.Handler{}}
	for _, sub := range svc.Subscriptions() {
		if sub.Consumer != "listing" || (sub.Stream != "iam" && sub.Stream != "tour") {
			t.Fatalf("subscription %s on %s: want the durable listing on iam and tour", sub.Consumer, sub.Stream)
		}
		for typ, h := range sub.Handlers {
			s.handlers[typ] = h
		}
	}
	return s
}

// deliver hands ev to the service's handler for its type, as the bus does.
func (s *server) deliver(ev bus.Event) {
	s.t.Helper()
	h, ok := s.handlers[ev.Type()]
	if !ok {
		s.t.Fatalf("listing does not consume %s", ev.Type())
	}
	if err := h(context.Background(), ev); err != nil {
		s.t.Fatalf("deliver %s: %v", ev.Type(), err)
	}
}

// provider registers a provider through iam's events, verified or not.
func (s *server) provider(id string, isVerified bool) auth.Principal {
	s.t.Helper()
	s.deliver(registered(s.t, id, false, t0))
	if isVerified {
		s.deliver(verified(s.t, id, true, t0.Add(time.Minute)))
	}
	return auth.Principal{ID: id, Role: auth.RoleProvider}
}

// caller is who sends a request; nil is anonymous.
func (s *server) do(p *auth.Principal, method, path string, body any) *response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	r := httptest.NewRequest(method, path, rd)
	if rd != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if p != nil {
		tok, _, err := s.issuer.Issue(*p)
		if err != nil {
			s.t.Fatalf("issue token for %+v: %v", *p, err)
		}
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, r)
	return &response{t: s.t, Code: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
}

// raw sends body as it is, with contentType ("" for application/json, "-"
// for none).
func (s *server) raw(p *auth.Principal, method, path, body, contentType string) *response {
	s.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	switch contentType {
	case "":
		r.Header.Set("Content-Type", "application/json")
	case "-":
	default:
		r.Header.Set("Content-Type", contentType)
	}
	tok, _, err := s.issuer.Issue(*p)
	if err != nil {
		s.t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, r)
	return &response{t: s.t, Code: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
}

// as is the server reporting to another test (a fuzz input's).
func (s *server) as(t testing.TB) *server {
	c := *s
	c.t = t
	return &c
}

// snapshotState sums up everything a request could change: every listing
// row, every provider and the number of events in the outbox.
func snapshotState(t testing.TB, s *server) string {
	t.Helper()
	var b strings.Builder
	rows, err := s.db.Query(`SELECT id, provider_id, title, description, city, lat, lng, price_amount, bedrooms,
		status, provider_active, updated_at FROM listings ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, provider, title, desc, city, status string
			lat, lng                                float64
			price                                   int64
			beds                                    int
			active                                  bool
			updated                                 time.Time
		)
		if err := rows.Scan(&id, &provider, &title, &desc, &city, &lat, &lng, &price, &beds, &status, &active, &updated); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s|%s|%s|%s|%s|%v|%v|%d|%d|%s|%v|%s\n", id, provider, title, desc, city, lat, lng, price, beds, status, active, updated)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var events, providers int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM outbox`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM providers`).Scan(&providers); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "events=%d providers=%d", events, providers)
	return b.String()
}

type response struct {
	t      testing.TB
	Code   int
	Header http.Header
	Body   []byte
}

func (r *response) decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("decode %s: %v", r.Body, err)
	}
}

func (r *response) want(code int) *response {
	r.t.Helper()
	if r.Code != code {
		r.t.Fatalf("status %d, want %d; body %s", r.Code, code, r.Body)
	}
	return r
}

// problem checks a problem+json answer with the status and returns it.
func (r *response) problem(code int) httpapi.Problem {
	r.t.Helper()
	r.want(code)
	if ct := r.Header.Get("Content-Type"); ct != httpapi.ProblemContentType {
		r.t.Fatalf("Content-Type %q, want %q; body %s", ct, httpapi.ProblemContentType, r.Body)
	}
	var p httpapi.Problem
	r.decode(&p)
	if p.Status != code {
		r.t.Fatalf("problem status %d, want %d", p.Status, code)
	}
	return p
}

// view is a listing as clients read it.
type view struct {
	ID          string       `json:"id"`
	ProviderID  string       `json:"provider_id"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	Address     addressJSON  `json:"address"`
	Location    locationJSON `json:"location"`
	Price       events.Money `json:"price"`
	Bedrooms    int          `json:"bedrooms"`
	Bathrooms   int          `json:"bathrooms"`
	TourFee     events.Money `json:"tour_fee"`
	TimeZone    string       `json:"time_zone"`
	Status      string       `json:"status"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	DistanceKM  *float64     `json:"distance_km"`
}

type addressJSON struct {
	Line1      string `json:"line1"`
	City       string `json:"city"`
	Region     string `json:"region"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

type locationJSON struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

type page struct {
	Items      []view `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// body is d as a POST or PUT body.
func body(d details) map[string]any {
	return map[string]any{
		"title": d.Title, "description": d.Description,
		"address": addressJSON{Line1: d.Address.Line1, City: d.Address.City, Region: d.Address.Region,
			PostalCode: d.Address.PostalCode, Country: d.Address.Country},
		"location":  locationJSON{Lat: d.Location.Lat, Lng: d.Location.Lng},
		"price":     d.Price,
		"bedrooms":  d.Bedrooms,
		"bathrooms": d.Bathrooms,
		"tour_fee":  d.TourFee,
		"time_zone": d.TimeZone,
	}
}

// create posts d as provider p and returns the new listing.
func (s *server) create(p auth.Principal, d details) view {
	s.t.Helper()
	var v view
	s.do(&p, "POST", "/listings", body(d)).want(http.StatusCreated).decode(&v)
	return v
}

// Package demo seeds a running openhouse with realistic data (Chicago
// homes, realtors and customers), drives one booking through every service
// over the public HTTP API, and prints the trail of events it caused with
// their timings. It is what `openhouse demo` runs.
package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

// Watcher delivers every event of a service's stream (bus.Bus.Watch).
type Watcher interface {
	Watch(ctx context.Context, service string, types []string, h func(bus.Event)) (stop func(), err error)
}

// Config says where the system is and how to reach its first admin.
type Config struct {
	BaseURL       string
	AdminEmail    string
	AdminPassword string
	Out           io.Writer
	// Streams and event types to print; the demo watches these.
	Events map[string][]string
}

type home struct {
	title, line1, city string
	lat, lng           float64
	price, fee         int64
	beds, baths        int
}

// Real Chicago addresses and coordinates.
var homes = []home{
	{"Loop loft with lake view", "233 S Wacker Dr", "Chicago", 41.8789, -87.6359, 62500000, 2500, 2, 2},
	{"Wicker Park greystone", "1520 N Damen Ave", "Chicago", 41.9090, -87.6776, 89900000, 3000, 4, 3},
	{"Lincoln Park townhouse", "2430 N Cannon Dr", "Chicago", 41.9255, -87.6366, 124500000, 3500, 3, 3},
	{"Hyde Park courtyard condo", "5500 S Shore Dr", "Chicago", 41.7950, -87.5800, 31900000, 2000, 2, 1},
	{"Logan Square two-flat", "2600 N Milwaukee Ave", "Chicago", 41.9286, -87.7072, 72500000, 2500, 5, 2},
	{"Evanston lakefront house", "1500 Sheridan Rd", "Evanston", 42.0560, -87.6735, 149000000, 4000, 5, 4},
}

var realtors = []struct {
	name     string
	lat, lng float64
}{
	{"Rita Alvarez (River North)", 41.8925, -87.6341},
	{"Sam Okafor (Pilsen)", 41.8566, -87.6564},
	{"Jin Park (Lakeview)", 41.9400, -87.6533},
	{"Dana Kowalski (Bucktown)", 41.9187, -87.6796},
	{"Lee Moreno (South Loop)", 41.8580, -87.6270},
}

// Run seeds the system and books one tour, printing as it goes.
func Run(ctx context.Context, cfg Config, w Watcher) error {
	d := &driver{cfg: cfg, http: &http.Client{Timeout: 15 * time.Second}, out: cfg.Out, suffix: fmt.Sprint(time.Now().Unix())}
	trail := &trail{start: time.Now()}
	for stream, types := range cfg.Events {
		stop, err := w.Watch(ctx, stream, types, trail.add)
		if err != nil {
			return err
		}
		defer stop()
	}

	d.say("== seeding Chicago ==")
	admin, err := d.login(cfg.AdminEmail, cfg.AdminPassword)
	if err != nil {
		return fmt.Errorf("admin login: %w", err)
	}
	provider, err := d.account(admin, "provider", "Lakeshore Realty", true)
	if err != nil {
		return err
	}
	var listingIDs []string
	for _, h := range homes {
		id, err := d.listing(ctx, provider, h)
		if err != nil {
			return err
		}
		listingIDs = append(listingIDs, id)
		d.say("listed  %-28s %s, %s  fee $%d.%02d", h.title, h.line1, h.city, h.fee/100, h.fee%100)
	}
	for _, r := range realtors {
		if _, err := d.realtor(admin, r.name, r.lat, r.lng); err != nil {
			return err
		}
		d.say("realtor %-28s works 08:00-20:00, 25 km around (%.4f, %.4f)", r.name, r.lat, r.lng)
	}
	customer, err := d.account(admin, "customer", "Casey Customer", false)
	if err != nil {
		return err
	}

	d.say("\n== booking: Loop loft + Lincoln Park townhouse + Wicker Park greystone, tomorrow 10:00 Chicago ==")
	for _, id := range []string{listingIDs[0], listingIDs[2], listingIDs[1]} {
		if _, err := d.do("POST", "/cart/items", customer, nil, map[string]string{"listing_id": id}, 200); err != nil {
			return err
		}
	}
	chicago, _ := time.LoadLocation("America/Chicago")
	day := time.Now().In(chicago).AddDate(0, 0, 1)
	at := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, chicago)
	// As a customer would: the open slots first (the realtors just joined;
	// availability learns of them from iam's events).
	if err := d.awaitSlot(customer, at); err != nil {
		return err
	}
	d.say("slots   tomorrow 10:00 is open")
	trail.mark()
	checkoutAt := time.Now()
	order, err := d.do("POST", "/cart/checkout", customer, map[string]string{"Idempotency-Key": "demo-" + d.suffix},
		map[string]string{"scheduled_at": at.Format(time.RFC3339), "payment_method": "tok_visa"}, 201)
	if err != nil {
		return err
	}
	d.say("checkout -> 201 in %s: order %v, payment %v", since(checkoutAt), order["order_id"], order["payment"].(map[string]any)["status"])

	var tour map[string]any
	deadline := time.Now().Add(20 * time.Second)
	for tour == nil || tour["status"] != "scheduled" {
		if time.Now().After(deadline) {
			return fmt.Errorf("the tour was not scheduled within 20s (last: %v)", tour)
		}
		list, err := d.do("GET", "/tours", customer, nil, nil, 200)
		if err != nil {
			return err
		}
		if items := list["items"].([]any); len(items) > 0 {
			tour = items[0].(map[string]any)
		}
		time.Sleep(2 * time.Millisecond)
	}
	d.say("tour %v scheduled %s after checkout, realtor %v", tour["id"], since(checkoutAt), tour["realtor_id"])
	for _, s := range tour["stops"].([]any) {
		st := s.(map[string]any)
		arrive, _ := time.Parse(time.RFC3339, st["arrive"].(string))
		d.say("  %s  %s", arrive.In(chicago).Format("15:04"), st["title"])
	}
	ends, _ := time.Parse(time.RFC3339, tour["ends_at"].(string))
	d.say("  %s  end", ends.In(chicago).Format("15:04"))

	// Let the notifications and records settle, then print the trail.
	time.Sleep(300 * time.Millisecond)
	d.say("\n== event trail (ms after checkout) ==")
	trail.print(d.out)
	return nil
}

// awaitSlot waits until the customer's cart shows start among its open
// slots.
func (d *driver) awaitSlot(customer string, start time.Time) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := d.do("GET", "/cart/slots?days=1&from="+start.Format(time.DateOnly), customer, nil, nil, 200)
		if err != nil {
			return err
		}
		for _, it := range out["items"].([]any) {
			if t, err := time.Parse(time.RFC3339, it.(map[string]any)["start"].(string)); err == nil && t.Equal(start) {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s was not an open slot within 20s", start.Format(time.RFC3339))
		}
		time.Sleep(5 * time.Millisecond) // polling the slots until the realtors are indexed
	}
}

func since(t time.Time) string { return time.Since(t).Round(100 * time.Microsecond).String() }

// trail collects events with their arrival times.
type trail struct {
	mu    sync.Mutex
	start time.Time
	rows  []row
}

type row struct {
	at   time.Duration
	typ  string
	subj string
}

func (t *trail) mark() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.start, t.rows = time.Now(), nil
}

func (t *trail) add(ev bus.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ev.Time().Before(t.start) {
		return // seeding
	}
	t.rows = append(t.rows, row{at: time.Since(t.start), typ: ev.Type(), subj: ev.Subject()})
}

func (t *trail) print(w io.Writer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sort.Slice(t.rows, func(i, j int) bool { return t.rows[i].at < t.rows[j].at })
	for _, r := range t.rows {
		fmt.Fprintf(w, "%8.2f  %-50s %s\n", float64(r.at.Microseconds())/1000, strings.TrimPrefix(r.typ, "openhouse."), short(r.subj))
	}
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// driver calls the HTTP API.
type driver struct {
	cfg    Config
	http   *http.Client
	out    io.Writer
	suffix string
	n      atomic.Int64 // accounts made, for unique emails
}

func (d *driver) say(format string, args ...any) { fmt.Fprintf(d.out, format+"\n", args...) }

func (d *driver) do(method, path, token string, headers map[string]string, body any, want int) (map[string]any, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, d.cfg.BaseURL+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != want {
		return out, fmt.Errorf("%s %s = %d %v", method, path, resp.StatusCode, out)
	}
	return out, nil
}

func (d *driver) login(email, password string) (string, error) {
	out, err := d.do("POST", "/iam/login", "", nil, map[string]string{"email": email, "password": password}, 200)
	if err != nil {
		return "", err
	}
	return out["access_token"].(string), nil
}

// account registers someone, verifies them through the admin if asked,
// and signs in.
func (d *driver) account(admin, role, name string, verify bool) (string, error) {
	email := fmt.Sprintf("%s-%d-%s@demo.openhouse.test", role, d.n.Add(1), d.suffix)
	u, err := d.do("POST", "/iam/register", "", nil, map[string]string{"email": email, "password": "demo passphrase " + d.suffix, "name": name, "role": role}, 201)
	if err != nil {
		return "", err
	}
	if verify {
		if _, err := d.do("PATCH", "/iam/users/"+u["id"].(string), admin, nil, map[string]any{"verified": true}, 200); err != nil {
			return "", err
		}
	}
	return d.login(email, "demo passphrase "+d.suffix)
}

func (d *driver) listing(ctx context.Context, provider string, h home) (string, error) {
	body := map[string]any{
		"title": h.title, "description": "Shown by Lakeshore Realty.", "time_zone": "America/Chicago",
		"address":  map[string]string{"line1": h.line1, "city": h.city, "region": "IL", "postal_code": "60601", "country": "US"},
		"location": map[string]float64{"lat": h.lat, "lng": h.lng},
		"price":    map[string]any{"amount": h.price, "currency": "USD"}, "tour_fee": map[string]any{"amount": h.fee, "currency": "USD"},
		"bedrooms": h.beds, "bathrooms": h.baths,
	}
	// The listing service learns of the provider's verification by event.
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := d.do("POST", "/listings", provider, nil, body, 201)
		if err == nil {
			return out["id"].(string), nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "", err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (d *driver) realtor(admin, name string, lat, lng float64) (string, error) {
	token, err := d.account(admin, "realtor", name, true)
	if err != nil {
		return "", err
	}
	hours := []map[string]any{}
	for day := 1; day <= 7; day++ {
		hours = append(hours, map[string]any{"weekday": day, "start": "08:00", "end": "20:00"})
	}
	_, err = d.do("PATCH", "/iam/me", token, nil, map[string]any{
		"location": map[string]float64{"lat": lat, "lng": lng}, "service_radius_km": 25,
		"time_zone": "America/Chicago", "working_hours": hours, "status": "available"}, 200)
	return token, err
}

package places

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/clock"
)

// nominatim is a local server speaking the part of Nominatim's protocol
// the geocoder uses: GET /search?q=&format=jsonv2&addressdetails=1&limit=
// (https://nominatim.org/release-docs/latest/api/Search/), answering a
// JSON array of places shaped as the real server's, and refusing requests
// without a User-Agent as OpenStreetMap's server does.
type nominatim struct {
	*httptest.Server
	hits    atomic.Int32
	failing atomic.Bool
	mu      sync.Mutex
	asked   []string
}

func newNominatim(t *testing.T) *nominatim {
	n := &nominatim{}
	n.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.hits.Add(1)
		q := r.URL.Query()
		n.mu.Lock()
		n.asked = append(n.asked, q.Get("q"))
		n.mu.Unlock()
		switch {
		case r.URL.Path != "/search":
			http.NotFound(w, r)
			return
		case r.Header.Get("User-Agent") == "" || q.Get("format") != "jsonv2" || q.Get("addressdetails") != "1" || q.Get("q") == "":
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		case n.failing.Load():
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		limit, _ := strconv.Atoi(q.Get("limit"))
		found := []map[string]any{}
		if q.Get("q") == "2000 N Lincoln Park W, Chicago" || q.Get("q") == "2000 n lincoln park w, chicago" {
			found = append(found, map[string]any{
				"place_id": 297135491, "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
				"osm_type": "way", "osm_id": 209876543, "lat": "41.9196551", "lon": "-87.6349302",
				"category": "building", "type": "apartments", "place_rank": 30, "importance": 0.00008, "addresstype": "building", "name": "",
				"display_name": "2000, North Lincoln Park West, Lincoln Park, Chicago, Cook County, Illinois, 60614, United States",
				"address": map[string]string{"house_number": "2000", "road": "North Lincoln Park West", "suburb": "Lincoln Park",
					"city": "Chicago", "county": "Cook County", "state": "Illinois", "ISO3166-2-lvl4": "US-IL", "postcode": "60614",
					"country": "United States", "country_code": "us"},
				"boundingbox": []string{"41.9194", "41.9199", "-87.6352", "-87.6346"},
			}, map[string]any{
				"lat": "41.92", "lon": "-87.63", "display_name": "Lincoln Park West, Chicago, Illinois, United States",
				"address": map[string]string{"state": "Illinois", "ISO3166-2-lvl4": "US-IL", "country_code": "us"},
			})
		}
		if q.Get("q") == "Rue de Rivoli, Paris" {
			found = append(found, map[string]any{"lat": "48.8606", "lon": "2.3376", "display_name": "Rue de Rivoli, Paris, Île-de-France, France",
				"address": map[string]string{"state": "Île-de-France", "ISO3166-2-lvl4": "FR-IDF", "country_code": "fr"}})
		}
		if limit > 0 && len(found) > limit {
			found = found[:limit]
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(found)
	}))
	t.Cleanup(n.Close)
	return n
}

func newTestGeocoder(t *testing.T, url string, c clock.Clock, maxWait time.Duration) *Geocoder {
	t.Helper()
	g, err := NewGeocoder(GeocoderConfig{URL: url, Clock: c, MaxWait: maxWait, CacheFor: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGeocoderSpeaksNominatim(t *testing.T) {
	n := newNominatim(t)
	fake := clock.NewFake(time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC))
	g := newTestGeocoder(t, n.URL+"/", fake, time.Second)
	got, err := g.Lookup(t.Context(), "2000 N Lincoln Park W, Chicago", 5)
	if err != nil {
		t.Fatal(err)
	}
	want := Place{Name: "2000, North Lincoln Park West, Lincoln Park, Chicago, Cook County, Illinois, 60614, United States",
		Region: "IL", Country: "US", Kind: Address, Lat: 41.9196551, Lng: -87.6349302}
	if len(got) != 2 || got[0] != want {
		t.Fatalf("Lookup = %+v, want %+v first of 2", got, want)
	}
	fake.Advance(time.Second)
	if got, err := g.Lookup(t.Context(), "Rue de Rivoli, Paris", 5); err != nil || len(got) != 1 || got[0].Region != "Île-de-France" || got[0].Country != "FR" {
		t.Errorf("Lookup in France = %+v, %v", got, err)
	}
	fake.Advance(time.Second)
	if got, err := g.Lookup(t.Context(), "nowhere at all", 5); err != nil || len(got) != 0 {
		t.Errorf("Lookup of nothing = %+v, %v", got, err)
	}
}

// TestGeocoderCaches: the same address again, however typed, is answered
// without asking the server, until the cache's time is up; a failure is
// not kept.
func TestGeocoderCaches(t *testing.T) {
	n := newNominatim(t)
	fake := clock.NewFake(time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC))
	g := newTestGeocoder(t, n.URL, fake, time.Second)
	for _, q := range []string{"2000 N Lincoln Park W, Chicago", "2000 n lincoln park w chicago", "  2000 N. LINCOLN PARK W., CHICAGO "} {
		if got, err := g.Lookup(t.Context(), q, 5); err != nil || len(got) != 2 {
			t.Fatalf("Lookup(%q) = %v, %v", q, got, err)
		}
	}
	if hits := n.hits.Load(); hits != 1 {
		t.Errorf("the server was asked %d times, want once", hits)
	}
	fake.Advance(time.Hour)
	if _, err := g.Lookup(t.Context(), "2000 N Lincoln Park W, Chicago", 5); err != nil || n.hits.Load() != 2 {
		t.Errorf("after the cache's hour: %v, %d requests, want a second one", err, n.hits.Load())
	}

	n.failing.Store(true)
	fake.Advance(time.Second)
	if _, err := g.Lookup(t.Context(), "Rue de Rivoli, Paris", 5); err == nil {
		t.Error("a failing server gave no error")
	}
	n.failing.Store(false)
	fake.Advance(time.Second)
	if got, err := g.Lookup(t.Context(), "Rue de Rivoli, Paris", 5); err != nil || len(got) != 1 {
		t.Errorf("after the failure = %v, %v: the failure was kept", got, err)
	}
}

// TestGeocoderRateLimit: one request a second for the process; a lookup
// waits for its turn up to MaxWait, and past that is refused at once with
// the time to come back.
func TestGeocoderRateLimit(t *testing.T) {
	n := newNominatim(t)
	fake := clock.NewFake(time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC))
	g := newTestGeocoder(t, n.URL, fake, 1500*time.Millisecond)
	if _, err := g.Lookup(t.Context(), "first", 5); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := g.Lookup(context.Background(), "second", 5)
		done <- err
	}()
	if !fake.WaitForWaiters(1, time.After(10*time.Second)) {
		t.Fatal("the second lookup did not wait for its turn")
	}
	if hits := n.hits.Load(); hits != 1 {
		t.Fatalf("%d requests before the second's turn, want 1", hits)
	}
	fake.Advance(time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if hits := n.hits.Load(); hits != 2 {
		t.Fatalf("%d requests, want 2", hits)
	}

	busy := newTestGeocoder(t, n.URL, fake, 500*time.Millisecond)
	if _, err := busy.Lookup(t.Context(), "first", 5); err != nil {
		t.Fatal(err)
	}
	fake.Advance(200 * time.Millisecond)
	_, err := busy.Lookup(t.Context(), "second", 5)
	var refused ErrGeocoderBusy
	if !errors.As(err, &refused) || refused.RetryAfter != 800*time.Millisecond {
		t.Fatalf("Lookup past MaxWait = %v, want ErrGeocoderBusy after 800ms", err)
	}
	if hits := n.hits.Load(); hits != 3 {
		t.Errorf("%d requests, want 3 (the refused lookup asked nothing)", hits)
	}
}

func TestGeocoderConfig(t *testing.T) {
	for _, url := range []string{"", "nominatim.example", "ftp://x", "http://", "http://x/?q=1"} {
		if _, err := NewGeocoder(GeocoderConfig{URL: url}); err == nil {
			t.Errorf("URL %q accepted", url)
		}
	}
}

// TestGeocodeAPI: GET /places/geocode through a configured geocoder, its
// refusals as problems: busy is a 503 with Retry-After, a server down a 503.
func TestGeocodeAPI(t *testing.T) {
	n := newNominatim(t)
	fake := clock.NewFake(time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC))
	s, err := New(Config{Gazetteer: loadEmbedded(t), Geocoder: newTestGeocoder(t, n.URL, fake, time.Nanosecond), Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	status, body := serve(t, s, "/places/geocode?q=2000+N+Lincoln+Park+W,+Chicago&limit=1")
	items, _ := body["items"].([]any)
	if status != 200 || body["available"] != true || len(items) != 1 {
		t.Fatalf("= %d %v", status, body)
	}
	if first, _ := json.Marshal(items[0]); string(first) != `{"country":"US","kind":"address","location":{"lat":41.9196551,"lng":-87.6349302},"name":"2000, North Lincoln Park West, Lincoln Park, Chicago, Cook County, Illinois, 60614, United States","region":"IL"}` {
		t.Errorf("item %s", first)
	}

	mux := http.NewServeMux()
	for _, rt := range s.Routes() {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/places/geocode?q=another", nil))
	if w.Code != 503 || w.Header().Get("Retry-After") != "1" {
		t.Errorf("a lookup in the same second = %d (Retry-After %q), want 503 after 1", w.Code, w.Header().Get("Retry-After"))
	}
	fake.Advance(time.Second)
	n.Close()
	if status, body := serve(t, s, "/places/geocode?q=yet+another"); status != 503 {
		t.Errorf("with the server down = %d %v, want 503", status, body)
	}
}

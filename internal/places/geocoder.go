package places

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/ratelimit"
)

// Address is a kind of Place only a geocoder answers: a street address.
const Address Kind = "address"

// GeocoderConfig configures the optional street-address geocoder: a
// server speaking Nominatim's search API (OpenStreetMap's own, or one's
// own Nominatim, or Photon's Nominatim-compatible mode).
type GeocoderConfig struct {
	// URL is the server's base URL; its /search answers
	// (OPENHOUSE_GEOCODER_URL). Empty means no geocoder.
	URL string
	// UserAgent identifies this deployment, as Nominatim's usage policy
	// requires. Default "openhouse (+https://github.com/openhouse/openhouse)".
	UserAgent string
	// Every is the least time between two requests to the server, for the
	// whole process (OpenStreetMap's public server allows one a second).
	// Default 1s.
	Every time.Duration
	// MaxWait is how long a request may wait for its turn before it is
	// refused with 503 and Retry-After. Default 3s.
	MaxWait time.Duration
	// Timeout bounds each request to the server. Default 5s.
	Timeout time.Duration
	// CacheSize is how many answers are kept (least recently used go
	// first), CacheFor for how long. Defaults 10,000 and 24h: addresses
	// rarely move, and the cache is what keeps a form's repeated lookups
	// off the server.
	CacheSize int
	CacheFor  time.Duration
	// HTTP is the client; nil means a new one.
	HTTP  *http.Client
	Clock clock.Clock
}

func (c GeocoderConfig) withDefaults() GeocoderConfig {
	if c.UserAgent == "" {
		c.UserAgent = "openhouse (+https://github.com/openhouse/openhouse)"
	}
	if c.Every == 0 {
		c.Every = time.Second
	}
	if c.MaxWait == 0 {
		c.MaxWait = 3 * time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.CacheSize == 0 {
		c.CacheSize = 10_000
	}
	if c.CacheFor == 0 {
		c.CacheFor = 24 * time.Hour
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{}
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	return c
}

// Validate names the setting that cannot work.
func (c GeocoderConfig) Validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return errors.New("OPENHOUSE_GEOCODER_URL must be the http(s) base URL of a Nominatim-compatible server, e.g. https://nominatim.openstreetmap.org")
	}
	if c.Every < 0 || c.MaxWait < 0 || c.Timeout < 0 || c.CacheSize < 0 || c.CacheFor < 0 {
		return errors.New("geocoder: durations and sizes must not be negative")
	}
	return nil
}

// ErrGeocoderBusy is returned when a request would wait longer than
// MaxWait for its turn; RetryAfter says when to come back.
type ErrGeocoderBusy struct{ RetryAfter time.Duration }

func (e ErrGeocoderBusy) Error() string {
	return fmt.Sprintf("geocoder busy: retry after %s", e.RetryAfter)
}

// Geocoder looks street addresses up on a Nominatim-compatible server,
// through a cache and at most one request per Every for the process. It is
// safe for concurrent use.
type Geocoder struct {
	cfg    GeocoderConfig
	search string // the server's /search URL
	turns  *ratelimit.Window
	cache  *lru.Cache[string, cached]
}

type cached struct {
	places []Place
	at     time.Time
}

// NewGeocoder checks cfg and returns the geocoder.
func NewGeocoder(cfg GeocoderConfig) (*Geocoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	cache, err := lru.New[string, cached](cfg.CacheSize)
	if err != nil {
		return nil, err
	}
	return &Geocoder{
		cfg:    cfg,
		search: strings.TrimSuffix(cfg.URL, "/") + "/search",
		turns:  ratelimit.NewWindow(1, cfg.Every, cfg.Clock),
		cache:  cache,
	}, nil
}

// Lookup returns up to limit places for a free-form address, best first
// (the server's order). The same folded query within CacheFor is answered
// from the cache, an empty answer included; a failure is not kept. Errors:
// ErrGeocoderBusy, the context's, or the server's (unreachable, not 200,
// not Nominatim's JSON).
func (g *Geocoder) Lookup(ctx context.Context, q string, limit int) ([]Place, error) {
	key := strconv.Itoa(limit) + ":" + Fold(q)
	if c, ok := g.cache.Get(key); ok && g.cfg.Clock.Now().Sub(c.at) < g.cfg.CacheFor {
		return c.places, nil
	}
	if err := g.turn(ctx); err != nil {
		return nil, err
	}
	places, err := g.fetch(ctx, q, limit)
	if err != nil {
		return nil, err
	}
	g.cache.Add(key, cached{places: places, at: g.cfg.Clock.Now()})
	return places, nil
}

// turn waits for this process's next turn at the server, up to MaxWait.
func (g *Geocoder) turn(ctx context.Context) error {
	deadline := g.cfg.Clock.Now().Add(g.cfg.MaxWait)
	for {
		ok, after := g.turns.Take("server")
		if ok {
			return nil
		}
		if g.cfg.Clock.Now().Add(after).After(deadline) {
			return ErrGeocoderBusy{RetryAfter: after}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-g.cfg.Clock.After(after):
		}
	}
}

// nominatimPlace is one result of Nominatim's /search in format=jsonv2
// with addressdetails=1 (https://nominatim.org/release-docs/latest/api/Output/).
type nominatimPlace struct {
	Lat         string            `json:"lat"`
	Lon         string            `json:"lon"`
	DisplayName string            `json:"display_name"`
	Address     map[string]string `json:"address"`
}

func (g *Geocoder) fetch(ctx context.Context, q string, limit int) ([]Place, error) {
	ctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
	defer cancel()
	query := url.Values{"q": {q}, "format": {"jsonv2"}, "addressdetails": {"1"}, "limit": {strconv.Itoa(limit)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.search+"?"+query.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", g.cfg.UserAgent)
	req.Header.Set("Accept", "application/json")
	resp, err := g.cfg.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("geocoder: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("geocoder: the server answered %s", resp.Status)
	}
	var found []nominatimPlace
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&found); err != nil {
		return nil, fmt.Errorf("geocoder: not Nominatim's JSON: %w", err)
	}
	out := make([]Place, 0, len(found))
	for _, f := range found {
		lat, err1 := strconv.ParseFloat(f.Lat, 64)
		lng, err2 := strconv.ParseFloat(f.Lon, 64)
		if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lng < -180 || lng > 180 {
			return nil, fmt.Errorf("geocoder: a result without coordinates (%q, %q)", f.Lat, f.Lon)
		}
		out = append(out, addressPlace(f, lat, lng))
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// addressPlace names a result the way the gazetteer names places: a US
// state by its postal code (from ISO3166-2-lvl4, "US-IL"), elsewhere the
// state's name; the country by its ISO code.
func addressPlace(f nominatimPlace, lat, lng float64) Place {
	country := strings.ToUpper(f.Address["country_code"])
	region := f.Address["state"]
	if code, ok := strings.CutPrefix(f.Address["ISO3166-2-lvl4"], "US-"); ok && country == "US" {
		region = code
	}
	return Place{Name: f.DisplayName, Region: region, Country: country, Kind: Address, Lat: lat, Lng: lng}
}

// Package web serves the openhouse web app: a single-page app for every role
// (customer, provider, realtor, admin) whose files are embedded in the
// binary, and the live stream of news it listens to (GET /events/stream).
// The app talks to the public HTTP API only, with the bearer token its user
// signed in with; it has no private back door. Plain JavaScript modules and
// CSS, no build step: the files under app/ are the files served.
package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// Publishers are the services whose streams feed the live stream: every
// service that publishes events.
var Publishers = []string{"iam", "listing", "payment", "tour", "appointment", "notification"}

// Config is what the web app needs. Bus is required; the rest has defaults.
type Config struct {
	Bus   *bus.Bus
	Clock clock.Clock
	Log   *slog.Logger
	// Services are the streams the live stream tails (default Publishers).
	Services []string
	// Heartbeat is how often an idle stream gets a comment line, so that
	// proxies and the browser see it is alive (default 15 s).
	Heartbeat time.Duration
	// MaxAge ends a stream after this long, so that the client reconnects
	// and its token is verified again: a stream never outlives a token's
	// expiry or a suspension by more than this (default 5 min).
	MaxAge time.Duration
	// Buffer is how many events a stream may fall behind before it is ended
	// (the client reconnects and reloads what it shows; default 256).
	Buffer int
	// PerUser is how many streams one user may hold open in this process
	// (a tab each; default 8); one more gets 429.
	PerUser int
	// Ended, if set, reports whether a caller's sign-in has ended: their
	// user is suspended or their session signed out (auth.Revocations.Ended).
	// Their streams end at the next event instead of at MaxAge.
	Ended func(auth.Principal) bool
	// Tiles is the map's base layer (default OpenStreetMap's tiles).
	Tiles Tiles
}

// Tiles is where the app's maps take their base layer from: an XYZ tile
// URL template ({z}/{x}/{y}, optionally {s} for a subdomain and {r} for
// retina) and the attribution its licence asks for. The browser loads the
// tiles itself; without them (offline, or URL "off") the maps draw their
// markers, areas and routes on a blank base.
type Tiles struct {
	URL         string // OPENHOUSE_MAP_TILE_URL; "off" for none
	Attribution string // OPENHOUSE_MAP_ATTRIBUTION (HTML: links allowed)
}

// DefaultTiles are OpenStreetMap's standard tiles, with the attribution
// its tile usage policy requires.
var DefaultTiles = Tiles{
	URL:         "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
	Attribution: `&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors`,
}

// Validate names what is wrong with the tile URL; the empty URL (the
// default) is fine.
func (t Tiles) Validate() error {
	if t.URL == "" {
		return nil
	}
	_, err := t.origin()
	return err
}

// origin is the scheme and host the tiles come from, for the
// Content-Security-Policy ("" for no tiles); {s} subdomains become *.
func (t Tiles) origin() (string, error) {
	if t.URL == "off" {
		return "", nil
	}
	u, err := url.Parse(strings.ReplaceAll(t.URL, "{s}.", "sub."))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		!strings.Contains(t.URL, "{z}") || !strings.Contains(t.URL, "{x}") || !strings.Contains(t.URL, "{y}") {
		return "", errors.New("OPENHOUSE_MAP_TILE_URL must be an http(s) tile URL with {z}, {x} and {y} (e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png), or off")
	}
	host := u.Host
	if strings.Contains(t.URL, "{s}.") {
		host = "*." + strings.TrimPrefix(host, "sub.")
	}
	return u.Scheme + "://" + host, nil
}

func (c Config) withDefaults() Config {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Services == nil {
		c.Services = Publishers
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.MaxAge == 0 {
		c.MaxAge = 5 * time.Minute
	}
	if c.Buffer == 0 {
		c.Buffer = 256
	}
	if c.PerUser == 0 {
		c.PerUser = 8
	}
	if c.Ended == nil {
		c.Ended = func(auth.Principal) bool { return false }
	}
	if c.Tiles.URL == "" {
		c.Tiles.URL = DefaultTiles.URL
	}
	if c.Tiles.URL == DefaultTiles.URL && c.Tiles.Attribution == "" {
		c.Tiles.Attribution = DefaultTiles.Attribution
	}
	return c
}

// Validate reports a configuration the web app cannot run with.
func (c Config) Validate() error {
	switch {
	case c.Bus == nil:
		return errors.New("web: a bus is required")
	case c.Heartbeat < 0, c.MaxAge < 0, c.Buffer < 0, c.PerUser < 0:
		return errors.New("web: Heartbeat, MaxAge, Buffer and PerUser must not be negative")
	}
	return c.Tiles.Validate()
}

// Web is the web app of one process.
type Web struct {
	cfg    Config
	assets *assets
	hub    *hub
}

// New builds the web app; it starts nothing until the first stream opens.
func New(cfg Config) (*Web, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	a, err := newAssets(cfg.Tiles)
	if err != nil {
		return nil, err
	}
	return &Web{cfg: cfg, assets: a, hub: newHub(cfg)}, nil
}

// Routes are the web app's rows of the authorization table. The app's
// pages are public (they hold no data; the API calls they make carry the
// user's token); the stream is for signed-in users, each getting news of
// their own resources only (admins get everything).
func (w *Web) Routes() []auth.Route {
	return []auth.Route{
		{Pattern: "GET /{$}", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.RedirectHandler("/app/", http.StatusFound),
			Doc: httpapi.Doc{Summary: "The web app's entry: a redirect to /app/", Status: http.StatusFound,
				Answers: []httpapi.Answer{{Status: http.StatusFound, Why: "Go to the web app.", ContentType: "text/html",
					Headers: map[string]string{"Location": "/app/"}}}}},
		{Pattern: "GET /app/", Rule: auth.Public(), Owner: auth.Unowned, Handler: w.assets,
			Doc: httpapi.Doc{Summary: "The web app: its page (for every path without an extension) and files",
				ContentType: servedTypes(),
				Answers:     []httpapi.Answer{{Status: http.StatusNotModified, Why: "The file has not changed (If-None-Match)."}},
				Errors:      map[int]string{http.StatusNotFound: "A path with an extension names no file."}}},
		{Pattern: "GET /events/stream", Rule: auth.AnyUser(), Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(w.handleStream),
			Doc: httpapi.Doc{Summary: "Live news of the caller's resources (server-sent events)", ContentType: "text/event-stream",
				Description: "Each event is a CloudEvent of a service's stream about the caller's own tours, payments, listings...; admins get every one. " +
					"The stream ends after a few minutes; the client reconnects.",
				Params: streamHeaders{},
				Errors: map[int]string{http.StatusNotAcceptable: "The request does not accept text/event-stream.",
					http.StatusTooManyRequests: "The user has too many streams open.", http.StatusServiceUnavailable: "The server is shutting down, or the bus is unavailable; reconnect."}}},
	}
}

// streamHeaders are the headers GET /events/stream reads.
type streamHeaders struct {
	Accept string `header:"Accept" doc:"Must include text/event-stream (else 406)." example:"text/event-stream"`
}

// Close ends every open stream and stops tailing the bus; call it when the
// HTTP server shuts down (streams would otherwise hold the shutdown until
// its timeout), before the bus is closed. Streams opened afterwards get 503.
func (w *Web) Close() { w.hub.close() }

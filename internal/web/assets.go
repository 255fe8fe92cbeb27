package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// files are the app as served: app/index.html is the page of every route
// under /app/, the rest are its scripts, styles and icon.
//
//go:embed app
var files embed.FS

// contentTypes are set explicitly rather than from the machine's MIME
// table, which differs between systems (text/javascript is what browsers
// require of a module script under nosniff).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".json": "application/json",
	".txt":  "text/plain; charset=utf-8", // the vendored libraries' licences
}

// servedTypes lists the media types of the files, for the API document.
func servedTypes() string {
	var out []string
	for _, ct := range contentTypes {
		mt, _, _ := strings.Cut(ct, ";")
		if !slices.Contains(out, mt) {
			out = append(out, mt)
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// contentSecurityPolicy allows nothing but this origin: no inline script or
// style, no other host (the app works offline, with no CDN or font), no
// framing; images may also come from the map's tile server, when there is
// one (tileOrigin).
func contentSecurityPolicy(tileOrigin string) string {
	img := "img-src 'self' data:"
	if tileOrigin != "" {
		img += " " + tileOrigin
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; " + img + "; " +
		"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

type asset struct {
	body        []byte
	contentType string
	etag        string
}

// assets serves the embedded files under /app/. A path with no file and no
// extension is a page of the app (/app/tours/123): it gets index.html and
// the app's router draws it. A path with an extension and no file is a
// real 404, so a mistyped script is an error rather than HTML.
type assets struct {
	byName map[string]asset
	csp    string
}

// mapConfig is /app/config.json: what the app's maps draw their base
// layer from (tiles "" for none).
type mapConfig struct {
	Tiles       string `json:"tiles"`
	Attribution string `json:"attribution"`
}

func newAssets(tiles Tiles) (*assets, error) {
	origin, err := tiles.origin()
	if err != nil {
		return nil, err
	}
	a := &assets{byName: map[string]asset{}, csp: contentSecurityPolicy(origin)}
	cfg := mapConfig{Tiles: tiles.URL, Attribution: tiles.Attribution}
	if origin == "" {
		cfg = mapConfig{}
	}
	body, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	a.byName["config.json"] = asset{body: body, contentType: contentTypes[".json"],
		etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
	err = fs.WalkDir(files, "app", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			return fmt.Errorf("web: %s has no known content type", name)
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		a.byName[strings.TrimPrefix(name, "app/")] = asset{body: body, contentType: ct,
			etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, ok := a.byName["index.html"]; !ok {
		return nil, fmt.Errorf("web: app/index.html is missing")
	}
	return a, nil
}

func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/app/")
	f, ok := a.byName[name]
	if !ok {
		if path.Ext(name) != "" {
			httpapi.WriteError(w, r, httpapi.NotFound("no such file in the web app"))
			return
		}
		f = a.byName["index.html"]
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Content-Security-Policy", a.csp)
	// Revalidate every time (cheap with the ETag): a new binary's files
	// are never mixed with an old one's.
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

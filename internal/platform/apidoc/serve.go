package apidoc

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"

	"net/http"
	"path"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// ui is the reference page: Redoc, vendored (ui/README.md).
//
//go:embed ui/index.html ui/init.js ui/redoc.standalone.js ui/redoc.LICENSE
var ui embed.FS

// pageSecurityPolicy lets Redoc run from this origin only: it injects its
// styles and runs its search in a worker made from a blob.
const pageSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; worker-src blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

var uiTypes = map[string]string{
	".html":    "text/html; charset=utf-8",
	".js":      "text/javascript; charset=utf-8",
	".LICENSE": "text/plain; charset=utf-8",
}

// pageQuery is what the reference page reads (in the browser).
type pageQuery struct {
	Spec string `query:"spec" enum:"openapi,asyncapi" doc:"Which document to show: the HTTP API (default) or the events."`
}

// Document is any JSON document served as it is.
type Document map[string]any

// Routes serve the API descriptions, public like the API's own contract:
// GET /openapi.json and GET /asyncapi.json (the documents given, the
// committed ones in a running process) and GET /docs, the reference page
// rendered from them in the browser.
func Routes(openapi, asyncapi []byte) []auth.Route {
	page := func(name string) http.Handler {
		body, err := ui.ReadFile("ui/" + name)
		if err != nil {
			panic("apidoc: " + err.Error()) // the embed directive names every file
		}
		sum := sha256.Sum256(body)
		etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", uiTypes[path.Ext(name)])
			h.Set("Content-Security-Policy", pageSecurityPolicy)
			h.Set("Cache-Control", "no-cache")
			h.Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			_, _ = w.Write(body)
		})
	}
	files := map[string]http.Handler{}
	for _, name := range []string{"init.js", "redoc.standalone.js", "redoc.LICENSE"} {
		files[name] = page(name)
	}
	serveFile := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := files[r.PathValue("file")]
		if !ok {
			httpapi.WriteError(w, r, httpapi.NotFound("no such file"))
			return
		}
		h.ServeHTTP(w, r)
	})
	doc := func(body []byte) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Access-Control-Allow-Origin", "*") // a public description, for tools in browsers
			_, _ = w.Write(body)
		})
	}
	return []auth.Route{
		{Pattern: "GET /openapi.json", Rule: auth.Public(), Owner: auth.Unowned, Handler: doc(openapi),
			Doc: httpapi.Doc{Summary: "This OpenAPI 3.1 document", Reply: Document{}}},
		{Pattern: "GET /asyncapi.json", Rule: auth.Public(), Owner: auth.Unowned, Handler: doc(asyncapi),
			Doc: httpapi.Doc{Summary: "The AsyncAPI 3.0 document of the events and webhooks", Reply: Document{}}},
		{Pattern: "GET /docs", Rule: auth.Public(), Owner: auth.Unowned, Handler: page("index.html"),
			Doc: httpapi.Doc{Summary: "The API reference page", ContentType: "text/html", Params: pageQuery{},
				Answers: []httpapi.Answer{{Status: http.StatusNotModified, Why: "The page has not changed (If-None-Match)."}}}},
		{Pattern: "GET /docs/{file}", Rule: auth.Public(), Owner: auth.Unowned, Handler: serveFile,
			Doc: httpapi.Doc{Summary: "The reference page's scripts and licence", ContentType: "text/javascript, text/plain",
				Answers: []httpapi.Answer{{Status: http.StatusNotModified, Why: "The file has not changed (If-None-Match)."}}}},
	}
}

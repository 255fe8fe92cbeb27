package web_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/web"
)

// server mounts the web app's routes the way internal/app does, with one
// API route beside them, behind the same middleware.
func server(t *testing.T, w *web.Web, v *auth.Verifier) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	api := auth.Route{Pattern: "GET /tours/{id}", Rule: auth.AnyUser(), Owner: auth.OwnedByPath,
		Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			httpapi.WriteError(rw, r, httpapi.NotFound("no such tour"))
		})}
	if err := auth.Mount(mux, append(w.Routes(), api)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.Chain(mux, httpapi.SecurityHeaders, auth.Authenticate(v), httpapi.MuxErrors))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestPagesAndAssets(t *testing.T) {
	f := newFixture(t)
	srv := server(t, f.web, f.verifier)
	tests := []struct {
		path, status, contentType, contains string
	}{
		{"/", "302", "", ""},
		{"/app/", "200", "text/html; charset=utf-8", `<script type="module" src="/app/js/main.js">`},
		// A page of the app: the router draws it from index.html.
		{"/app/tours", "200", "text/html; charset=utf-8", `<main id="main"`},
		{"/app/admin/users", "200", "text/html; charset=utf-8", `<main id="main"`},
		{"/app/js/main.js", "200", "text/javascript; charset=utf-8", "import"},
		{"/app/app.css", "200", "text/css; charset=utf-8", ":root"},
		{"/app/icon.svg", "200", "image/svg+xml", "<svg"},
		// A missing file is a 404 problem, never the page.
		{"/app/js/missing.js", "404", "application/problem+json", `"status":404`},
		// The app owns / and /app/ only: other paths are the API's, and
		// their 404s stay problem+json.
		{"/tours/x/y", "404", "application/problem+json", `"status":404`},
		{"/nothing-here", "404", "application/problem+json", `"status":404`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, body := get(t, srv.URL+tc.path, nil)
			if got := resp.Status[:3]; got != tc.status {
				t.Fatalf("status %s, want %s: %s", resp.Status, tc.status, body)
			}
			if tc.status == "302" && resp.Header.Get("Location") != "/app/" {
				t.Fatalf("Location = %q, want /app/", resp.Header.Get("Location"))
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("Content-Type = %q, want %q", ct, tc.contentType)
			}
			if !strings.Contains(body, tc.contains) {
				t.Errorf("body does not contain %q: %.200s", tc.contains, body)
			}
			if tc.status == "200" {
				if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
					t.Errorf("Content-Security-Policy = %q", csp)
				}
				if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Error("nosniff is missing")
				}
			}
		})
	}
}

func TestAssetsRevalidateWithETag(t *testing.T) {
	f := newFixture(t)
	srv := server(t, f.web, f.verifier)
	resp, _ := get(t, srv.URL+"/app/app.css", nil)
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("ETag %q, Cache-Control %q", etag, resp.Header.Get("Cache-Control"))
	}
	resp, body := get(t, srv.URL+"/app/app.css", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified || body != "" {
		t.Fatalf("revalidation = %s with %d bytes, want 304 and no body", resp.Status, len(body))
	}
}

// Every module the app imports, and every file index.html names, is in the
// embedded app: a typo would otherwise only show in a browser.
func TestEveryImportResolves(t *testing.T) {
	app := os.DirFS("app")
	imports := regexp.MustCompile(`(?m)(?:^import .* from |^import )'([^']+)'`)
	refs := regexp.MustCompile(`(?:src|href)="/app/([^"]+)"`)
	checked := 0
	err := fs.WalkDir(app, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := fs.ReadFile(app, name)
		if err != nil {
			return err
		}
		var targets []string
		switch path.Ext(name) {
		case ".js":
			for _, m := range imports.FindAllStringSubmatch(string(raw), -1) {
				targets = append(targets, path.Join(path.Dir(name), m[1]))
			}
		case ".html":
			for _, m := range refs.FindAllStringSubmatch(string(raw), -1) {
				targets = append(targets, m[1])
			}
		}
		for _, target := range targets {
			checked++
			if _, err := fs.Stat(app, target); err != nil {
				t.Errorf("%s refers to %s, which is not in the app", name, target)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked only %d references; the patterns no longer match the code", checked)
	}
}

package web_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/bus/bustest"
	"github.com/openhouse/openhouse/internal/web"
)

// TestMapTiles: /app/config.json tells the maps where tiles come from, and
// the Content-Security-Policy lets images come from there and nowhere else.
func TestMapTiles(t *testing.T) {
	b := bustest.Embedded(t).Connect(t)
	f := newFixture(t)
	for name, tc := range map[string]struct {
		tiles      web.Tiles
		wantTiles  string
		wantImgSrc string
	}{
		"default, OpenStreetMap": {web.Tiles{}, web.DefaultTiles.URL, "img-src 'self' data: https://tile.openstreetmap.org;"},
		"off":                    {web.Tiles{URL: "off"}, "", "img-src 'self' data:;"},
		"subdomains":             {web.Tiles{URL: "https://{s}.tiles.example/{z}/{x}/{y}{r}.png", Attribution: "© Example"}, "https://{s}.tiles.example/{z}/{x}/{y}{r}.png", "img-src 'self' data: https://*.tiles.example;"},
		"a local server":         {web.Tiles{URL: "http://127.0.0.1:9/{z}/{x}/{y}.png"}, "http://127.0.0.1:9/{z}/{x}/{y}.png", "img-src 'self' data: http://127.0.0.1:9;"},
	} {
		t.Run(name, func(t *testing.T) {
			w, err := web.New(web.Config{Bus: b, Tiles: tc.tiles})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(w.Close)
			srv := server(t, w, f.verifier)
			resp, body := get(t, srv.URL+"/app/config.json", nil)
			var cfg struct{ Tiles, Attribution string }
			if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &cfg) != nil || cfg.Tiles != tc.wantTiles {
				t.Fatalf("config.json = %s %s, want tiles %q", resp.Status, body, tc.wantTiles)
			}
			if tc.wantTiles != "" && cfg.Attribution == "" && tc.tiles.URL == "" {
				t.Error("OpenStreetMap's tiles without their attribution")
			}
			resp, _ = get(t, srv.URL+"/app/search", nil)
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, tc.wantImgSrc) {
				t.Errorf("Content-Security-Policy = %q, want %q", csp, tc.wantImgSrc)
			}
		})
	}
	for _, bad := range []string{"tile.openstreetmap.org/{z}/{x}/{y}.png", "ftp://x/{z}/{x}/{y}", "https://x/tiles.png", "javascript:{z}{x}{y}"} {
		if _, err := web.New(web.Config{Bus: b, Tiles: web.Tiles{URL: bad}}); err == nil {
			t.Errorf("tile URL %q accepted", bad)
		}
	}
}

// TestVendoredFilesArePinned: every vendored front-end file is the one
// app/vendor/VERSIONS.txt names (package, version, file in its npm tarball,
// sha256), each package keeps its licence, and no unlisted file hides there.
func TestVendoredFilesArePinned(t *testing.T) {
	f, err := os.Open("app/vendor/VERSIONS.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{"VERSIONS.txt": true}
	licences := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "  ") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 3 {
			t.Fatalf("VERSIONS.txt: %q is not: file, path in the tarball, sha256", line)
		}
		raw, err := os.ReadFile(path.Join("app/vendor", fields[0]))
		if err != nil {
			t.Error(err)
			continue
		}
		if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != fields[2] {
			t.Errorf("%s was changed: its sha256 is not the pinned one", fields[0])
		}
		listed[fields[0]] = true
		if path.Base(fields[0]) == "LICENSE.txt" {
			licences[path.Dir(fields[0])] = true
		}
	}
	entries, err := os.ReadDir("app/vendor")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			if !listed[e.Name()] {
				t.Errorf("app/vendor/%s is not in VERSIONS.txt", e.Name())
			}
			continue
		}
		if !licences[e.Name()] {
			t.Errorf("app/vendor/%s has no LICENSE.txt", e.Name())
		}
		files, _ := os.ReadDir(path.Join("app/vendor", e.Name()))
		for _, file := range files {
			if !listed[path.Join(e.Name(), file.Name())] {
				t.Errorf("app/vendor/%s/%s is not in VERSIONS.txt", e.Name(), file.Name())
			}
		}
	}
}

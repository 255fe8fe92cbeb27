package archive_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/archive"
)

func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"db/iam.db": "iam pages", "jetstream/TOUR/backup.json": `{"config":{}}`, "top": ""} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := archive.Write(&buf, tree(t), map[string]int{"streams": 1}); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	m, err := archive.Extract(bytes.NewReader(buf.Bytes()), out)
	if err != nil {
		t.Fatal(err)
	}
	var about map[string]int
	if err := json.Unmarshal(m.About, &about); err != nil || len(m.Files) != 3 || about["streams"] != 1 {
		t.Fatalf("manifest %+v", m)
	}
	got, err := os.ReadFile(filepath.Join(out, "db", "iam.db"))
	if err != nil || string(got) != "iam pages" {
		t.Fatalf("extracted %q, %v", got, err)
	}
	if _, err := archive.Extract(bytes.NewReader(buf.Bytes()), ""); err != nil {
		t.Fatalf("check only: %v", err)
	}
}

// handmade writes a tar.gz with the given manifest and files, as a broken
// or hostile writer could.
func handmade(t *testing.T, m archive.Manifest, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	raw, _ := json.Marshal(m)
	add := func(name, body string) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	add("manifest.json", string(raw))
	for name, body := range files {
		add(name, body)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestRefusals(t *testing.T) {
	var good bytes.Buffer
	if err := archive.Write(&good, tree(t), nil); err != nil {
		t.Fatal(err)
	}
	truncated := good.Bytes()[:good.Len()-20]
	altered := bytes.Clone(good.Bytes())
	altered[len(altered)/2] ^= 0xff
	// "hello" and its SHA-256.
	const sum = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	cases := map[string][]byte{
		"truncated":       truncated,
		"altered":         altered,
		"not gzip":        []byte("plain text"),
		"missing file":    handmade(t, archive.Manifest{Format: archive.Format, Files: []archive.File{{Path: "a", Size: 5, SHA256: sum}}}, nil),
		"file not listed": handmade(t, archive.Manifest{Format: archive.Format}, map[string]string{"a": "hello"}),
		"wrong checksum":  handmade(t, archive.Manifest{Format: archive.Format, Files: []archive.File{{Path: "a", Size: 5, SHA256: sum}}}, map[string]string{"a": "hellO"}),
		"escaping path":   handmade(t, archive.Manifest{Format: archive.Format, Files: []archive.File{{Path: "../a", Size: 5, SHA256: sum}}}, map[string]string{"../a": "hello"}),
		"absolute path":   handmade(t, archive.Manifest{Format: archive.Format, Files: []archive.File{{Path: "/etc/a", Size: 5, SHA256: sum}}}, map[string]string{"/etc/a": "hello"}),
		"another format":  handmade(t, archive.Manifest{Format: "other/9"}, nil),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			if _, err := archive.Extract(bytes.NewReader(data), filepath.Join(out, "x")); !errors.Is(err, archive.ErrCorrupt) {
				t.Fatalf("Extract = %v, want ErrCorrupt", err)
			}
			if _, err := os.Stat(filepath.Join(out, "a")); err == nil {
				t.Fatal("a file was written outside the directory")
			}
		})
	}
}

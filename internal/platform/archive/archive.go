// Package archive is the one-file form of a backup: a gzip-compressed tar
// whose first entry, manifest.json, lists every other file with its size
// and SHA-256, and says what the files are. A reader checks each file as it
// streams past and that none is missing, so an archive cut short or altered
// is refused, never half restored.
package archive

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Format names this layout in every manifest; a reader refuses others.
const Format = "openhouse-backup/1"

const manifestName = "manifest.json"

// Manifest is the archive's table of contents.
type Manifest struct {
	Format string `json:"format"`
	Files  []File `json:"files"`
	// About is what the writer says of the contents (for openhouse: which
	// databases and streams, and where the system stood).
	About json.RawMessage `json:"about,omitempty"`
}

// File is one file of the archive, by its slash-separated path inside it.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ErrCorrupt is wrapped by every refusal of an archive's contents.
var ErrCorrupt = errors.New("archive: not a whole openhouse backup")

// Write puts every regular file under dir into one archive on w, with a
// manifest whose About is about (encoded as JSON). The files must not
// change while it runs.
func Write(w io.Writer, dir string, about any) error {
	var files []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		f, err := checksum(p)
		f.Path = filepath.ToSlash(rel)
		files = append(files, f)
		return err
	})
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	raw, err := json.Marshal(about)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	manifest, err := json.MarshalIndent(Manifest{Format: Format, Files: files, About: raw}, "", "  ")
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	now := time.Now()
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o600, Size: int64(len(manifest)), ModTime: now}); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	if _, err := tw.Write(manifest); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	for _, f := range files {
		if err := addFile(tw, filepath.Join(dir, filepath.FromSlash(f.Path)), f, now); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return nil
}

func checksum(p string) (File, error) {
	f, err := os.Open(p)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return File{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, err
}

func addFile(tw *tar.Writer, p string, f File, now time.Time) error {
	in, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	defer in.Close()
	if err := tw.WriteHeader(&tar.Header{Name: f.Path, Mode: 0o600, Size: f.Size, ModTime: now}); err != nil {
		return fmt.Errorf("archive: %s: %w", f.Path, err)
	}
	// A file that grew since its checksum fails here (tar refuses more
	// than the header's size); one that shrank fails at the next header.
	if _, err := io.Copy(tw, in); err != nil {
		return fmt.Errorf("archive: %s: %w", f.Path, err)
	}
	return nil
}

// Extract reads an archive from r and writes its files under dir (created
// if missing), checking each against the manifest. It returns the manifest
// once every file has been read whole and matched; on any refusal the files
// written so far are left for the caller to remove. An empty dir only
// checks the archive.
func Extract(r io.Reader, dir string) (Manifest, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return Manifest{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	tr := tar.NewReader(zr)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != manifestName {
		return Manifest{}, fmt.Errorf("%w: the manifest is not its first file", ErrCorrupt)
	}
	var m Manifest
	if err := json.NewDecoder(io.LimitReader(tr, 16<<20)).Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("%w: manifest: %v", ErrCorrupt, err)
	}
	if m.Format != Format {
		return Manifest{}, fmt.Errorf("%w: format %q, this openhouse reads %q", ErrCorrupt, m.Format, Format)
	}
	want := map[string]File{}
	for _, f := range m.Files {
		if !safePath(f.Path) {
			return Manifest{}, fmt.Errorf("%w: unsafe path %q", ErrCorrupt, f.Path)
		}
		want[f.Path] = f
	}
	var seen []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Manifest{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		f, ok := want[hdr.Name]
		if !ok || hdr.Typeflag != tar.TypeReg || slices.Contains(seen, hdr.Name) {
			return Manifest{}, fmt.Errorf("%w: %q is not in its manifest", ErrCorrupt, hdr.Name)
		}
		if err := extractFile(tr, dir, f); err != nil {
			return Manifest{}, err
		}
		seen = append(seen, hdr.Name)
	}
	if len(seen) != len(want) {
		return Manifest{}, fmt.Errorf("%w: %d of its %d files are missing", ErrCorrupt, len(want)-len(seen), len(want))
	}
	// The gzip trailer holds a CRC of everything; reading to its end checks it.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return Manifest{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return m, nil
}

func extractFile(r io.Reader, dir string, f File) error {
	out := io.Discard
	if dir != "" {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		file, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		defer file.Close()
		out = file
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), r)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, f.Path, err)
	}
	if n != f.Size || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
		return fmt.Errorf("%w: %s does not match its checksum", ErrCorrupt, f.Path)
	}
	if c, ok := out.(*os.File); ok {
		if err := c.Sync(); err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		return c.Close()
	}
	return nil
}

// safePath accepts relative slash paths that stay inside the directory.
func safePath(p string) bool {
	return p != "" && p != manifestName && !strings.HasPrefix(p, "/") && !strings.Contains(p, "\\") &&
		path.Clean(p) == p && p != ".." && !strings.HasPrefix(p, "../")
}

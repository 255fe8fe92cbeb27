package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/platform/archive"
)

// ControlSocket is where a process on embedded defaults takes operators'
// commands (`openhouse backup`): a Unix socket in its data directory, so
// that only who may read the data directory itself may ask for a copy of
// it (docs/security.md, "The control socket").
func ControlSocket(dataDir string) string { return filepath.Join(dataDir, "control.sock") }

// control is the control socket's server.
type control struct {
	listener net.Listener
	server   *http.Server
}

// listenControl binds the control socket of an embedded process. A socket
// file left by a process that died is replaced; one that answers belongs to
// a process still serving this data directory, and then this one must not
// start. A path too long for a socket leaves the process without one (it
// says so), since serving matters more than backups.
func (a *App) listenControl() error {
	if err := os.MkdirAll(a.cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	path := ControlSocket(a.cfg.DataDir)
	if conn, err := net.DialTimeout("unix", path, time.Second); err == nil {
		conn.Close()
		return fmt.Errorf("another openhouse serves the data directory %s (its control socket %s answers)", a.cfg.DataDir, path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("control socket: %w", err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		a.log.Warn("no control socket: `openhouse backup` cannot reach this process", "path", path, "err", err)
		return nil
	}
	// Only the owner may connect (connecting needs write permission on
	// the socket); the data directory's own mode is the outer wall.
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return fmt.Errorf("control socket: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /backup", a.serveBackup)
	a.control = &control{listener: l, server: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	return nil
}

func (c *control) serve() {
	if c != nil {
		_ = c.server.Serve(c.listener)
	}
}

func (c *control) close() {
	if c != nil {
		_ = c.server.Close() // an archive still being sent is cut: the client refuses it
		c.listener.Close()
	}
}

// serveBackup answers the archive, or an error before its first byte. An
// error while sending cuts the connection, and the client, which checks the
// archive against its manifest, refuses what it got.
func (a *App) serveBackup(w http.ResponseWriter, r *http.Request) {
	dir, info, err := a.prepareBackup(r.Context())
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, ErrBackupRunning) {
			status = http.StatusConflict
		}
		a.log.Error("backup failed", "err", err)
		http.Error(w, err.Error(), status)
		return
	}
	defer a.endBackup(dir)
	pending, unacked := info.InFlight()
	a.log.Info("backup taken", "databases", len(info.Databases), "streams", len(info.Streams),
		"writes_held_ms", info.WritesHeld.Milliseconds(), "events_held_ms", info.EventsHeld.Milliseconds(),
		"pending_events", pending, "unacked_deliveries", unacked)
	w.Header().Set("Content-Type", "application/gzip")
	if err := archive.Write(w, dir, info); err != nil {
		a.log.Error("backup: sending the archive failed", "err", err)
		panic(http.ErrAbortHandler)
	}
}

// RequestBackup asks the process serving dataDir for a backup over its
// control socket and copies the archive to w, checking it whole against
// its manifest as it arrives. w holds a whole archive only when the error
// is nil.
func RequestBackup(ctx context.Context, dataDir string, w io.Writer) (BackupInfo, error) {
	path := ControlSocket(dataDir)
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://openhouse/backup", nil)
	if err != nil {
		return BackupInfo{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("reach openhouse at %s (is `openhouse serve` running on embedded defaults with this data directory?): %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return BackupInfo{}, fmt.Errorf("openhouse refused the backup (%s): %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	m, err := archive.Extract(io.TeeReader(resp.Body, w), "")
	if err != nil {
		return BackupInfo{}, err
	}
	var info BackupInfo
	if err := json.Unmarshal(m.About, &info); err != nil {
		return BackupInfo{}, fmt.Errorf("%w: %v", archive.ErrCorrupt, err)
	}
	return info, nil
}

package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/openhouse/openhouse/internal/platform/archive"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// BackupInfo is what a backup archive says of itself (its manifest's
// "about"), and what `openhouse backup` and `restore` print.
type BackupInfo struct {
	// TakenAt is the instant the databases were copied at.
	TakenAt   time.Time          `json:"taken_at"`
	Services  []string           `json:"services"`
	Databases []DatabaseBackup   `json:"databases"`
	Streams   []bus.StreamBackup `json:"streams"`
	// SecretsKey says the archive holds the data directory's secrets key
	// (secrets.key, which seals calendar URLs); without it a process set
	// OPENHOUSE_SECRETS_KEY, and the restored one needs the same value.
	SecretsKey bool `json:"secrets_key"`
	// WritesHeld is how long database writes waited for the copy to
	// begin; EventsHeld how long relays and consumers were paused.
	WritesHeld time.Duration `json:"writes_held_ns"`
	EventsHeld time.Duration `json:"events_held_ns"`
}

// DatabaseBackup is one service's database in a backup.
type DatabaseBackup struct {
	Name string `json:"name"`
	File string `json:"file"` // path inside the archive
	// Pending is how many events waited in its outbox at the instant of
	// the copy: a restore publishes them first.
	Pending int `json:"pending_events"`
}

// InFlight counts what the backup caught in the middle: events not yet
// published, and deliveries not yet acknowledged.
func (b BackupInfo) InFlight() (pending, unacked int) {
	for _, d := range b.Databases {
		pending += d.Pending
	}
	for _, s := range b.Streams {
		for _, c := range s.Consumers {
			unacked += c.AckPending
		}
	}
	return pending, unacked
}

// Errors of Backup that callers tell apart.
var (
	ErrBackupNotEmbedded = errors.New("backup: `openhouse backup` is for the embedded mode (SQLite and the in-process JetStream); back a distributed deployment up with pg_dump and nats stream backup (docs/operations.md)")
	ErrBackupRunning     = errors.New("backup: another backup is running")
)

// Archive paths of the parts of a backup.
const (
	backupDatabases = "db"
	backupStreams   = "jetstream"
)

// embedded says whether this process holds all of its data itself: SQLite
// files and the in-process JetStream, both under the data directory.
func (c Config) embedded() bool { return c.DatabaseURL == "" && c.NATSURL == "" }

// Backup writes one archive of this process's data to w, while it serves.
//
// The copy is a state the system is built to recover from: the one a kill
// -9 at a single instant would leave (docs/operations.md). The outbox
// relays are paused first (each finishes its round), then the consumers
// (each handler in flight finishes and acknowledges); then every
// database's writer is held for the moment it takes to open a read
// snapshot of all of them at once; then the streams are copied with their
// consumers' positions; then relays and consumers go on, and the database
// snapshots are copied while the system serves. So every event a database
// shows as published is in the copied stream, no consumer's copied
// position is past an event its copied database has not applied, and the
// databases agree with each other as of one instant.
func (a *App) Backup(ctx context.Context, w io.Writer) (BackupInfo, error) {
	dir, info, err := a.prepareBackup(ctx)
	if err != nil {
		return BackupInfo{}, err
	}
	defer a.endBackup(dir)
	return info, archive.Write(w, dir, info)
}

// prepareBackup copies the data into a new directory inside the data
// directory (as private as the data itself); endBackup removes it.
func (a *App) prepareBackup(ctx context.Context) (string, BackupInfo, error) {
	if !a.cfg.embedded() {
		return "", BackupInfo{}, ErrBackupNotEmbedded
	}
	if !a.backingUp.TryLock() {
		return "", BackupInfo{}, ErrBackupRunning
	}
	dir, err := os.MkdirTemp(a.cfg.DataDir, ".backup-")
	if err != nil {
		a.backingUp.Unlock()
		return "", BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	info, err := a.copyData(ctx, dir)
	if err != nil {
		a.endBackup(dir)
		return "", BackupInfo{}, err
	}
	return dir, info, nil
}

func (a *App) endBackup(dir string) {
	if err := os.RemoveAll(dir); err != nil {
		a.log.Warn("backup: remove the copy", "dir", dir, "err", err)
	}
	a.backingUp.Unlock()
}

// copyData is the coordinated copy described at Backup.
func (a *App) copyData(ctx context.Context, dir string) (BackupInfo, error) {
	info := BackupInfo{Services: a.cfg.Services}
	var resumes []func()
	resume := func() {
		for _, r := range resumes {
			r()
		}
	}
	defer resume()
	paused := time.Now()
	for _, r := range a.relays {
		res, err := r.Pause(ctx)
		if err != nil {
			return info, fmt.Errorf("backup: %w", err)
		}
		resumes = append(resumes, res)
	}
	res, err := a.bus.PauseConsumers(ctx)
	if err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	resumes = append(resumes, res)

	cut := time.Now()
	snaps, err := store.SnapshotAll(ctx, a.dbs)
	if err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	info.WritesHeld, info.TakenAt = time.Since(cut), cut.UTC()
	defer func() {
		for _, s := range snaps {
			s.Close()
		}
	}()
	for _, s := range snaps {
		pending, err := outbox.PendingIn(ctx, s)
		if err != nil {
			return info, fmt.Errorf("backup: %w", err)
		}
		info.Databases = append(info.Databases, DatabaseBackup{Name: s.Name(), File: backupDatabases + "/" + s.Name() + ".db", Pending: pending})
	}
	if info.Streams, err = a.bus.SnapshotStreams(ctx, filepath.Join(dir, backupStreams)); err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	resume()
	info.EventsHeld = time.Since(paused)

	if err := os.Mkdir(filepath.Join(dir, backupDatabases), 0o700); err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	for _, s := range snaps {
		if err := s.WriteFile(ctx, filepath.Join(dir, backupDatabases, s.Name()+".db")); err != nil {
			return info, fmt.Errorf("backup: %w", err)
		}
	}
	key, err := os.ReadFile(filepath.Join(a.cfg.DataDir, secretsKeyFile))
	switch {
	case err == nil:
		if err := os.WriteFile(filepath.Join(dir, secretsKeyFile), key, 0o600); err != nil {
			return info, fmt.Errorf("backup: %w", err)
		}
		info.SecretsKey = true
	case !errors.Is(err, os.ErrNotExist):
		return info, fmt.Errorf("backup: %w", err)
	}
	return info, nil
}

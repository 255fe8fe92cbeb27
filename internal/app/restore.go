package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/platform/archive"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// ErrDataDirInUse is returned by Restore for a data directory that holds
// anything: a restore never overwrites data.
var ErrDataDirInUse = errors.New("restore: the data directory is not empty; restore into a new one")

// Restore unpacks a backup archive from r into dataDir, which must be
// missing or empty, so that `openhouse serve` on it starts where the backup
// was taken: each database file in place, each stream restored through
// JetStream into dataDir/nats with its durable consumers reset to their
// acknowledgement floor, and each inbox's retention restarted at now (see
// outbox.RestartRetention). Everything the archive holds is checked before
// it is used; a restore that fails leaves dataDir as empty as it found it.
func Restore(ctx context.Context, r io.Reader, dataDir string, now time.Time) (_ BackupInfo, err error) {
	if err := emptyDir(dataDir); err != nil {
		return BackupInfo{}, err
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return BackupInfo{}, fmt.Errorf("restore: %w", err)
	}
	defer func() {
		if err != nil {
			clearDir(dataDir)
		}
	}()
	tmp, err := os.MkdirTemp(dataDir, ".restore-")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(tmp)
	m, err := archive.Extract(r, tmp)
	if err != nil {
		return BackupInfo{}, err
	}
	var info BackupInfo
	if err := json.Unmarshal(m.About, &info); err != nil {
		return BackupInfo{}, fmt.Errorf("%w: %v", archive.ErrCorrupt, err)
	}
	for _, d := range info.Databases {
		if d.File != backupDatabases+"/"+d.Name+".db" || strings.ContainsAny(d.Name, `/\.`) {
			return BackupInfo{}, fmt.Errorf("%w: database %q at %q", archive.ErrCorrupt, d.Name, d.File)
		}
		if err := os.Rename(filepath.Join(tmp, filepath.FromSlash(d.File)), filepath.Join(dataDir, d.Name+".db")); err != nil {
			return BackupInfo{}, fmt.Errorf("restore: %w", err)
		}
		db, err := store.Open(ctx, store.Config{DataDir: dataDir}, d.Name)
		if err != nil {
			return BackupInfo{}, fmt.Errorf("restore: %w", err)
		}
		err = outbox.RestartRetention(ctx, db, now)
		db.Close()
		if err != nil {
			return BackupInfo{}, fmt.Errorf("restore: %w", err)
		}
	}
	if info.SecretsKey {
		if err := os.Rename(filepath.Join(tmp, secretsKeyFile), filepath.Join(dataDir, secretsKeyFile)); err != nil {
			return BackupInfo{}, fmt.Errorf("restore: the secrets key: %w", err)
		}
	}
	streams, err := bus.RestoreStreams(ctx, filepath.Join(dataDir, "nats"), filepath.Join(tmp, backupStreams))
	if err != nil {
		return BackupInfo{}, fmt.Errorf("restore: %w", err)
	}
	if len(streams) != len(info.Streams) {
		return BackupInfo{}, fmt.Errorf("%w: %d streams restored of the %d it lists", archive.ErrCorrupt, len(streams), len(info.Streams))
	}
	return info, nil
}

// emptyDir accepts a directory that is missing or empty.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("%w: %s", ErrDataDirInUse, dir)
	}
	return nil
}

// clearDir removes what a failed restore wrote, leaving the directory.
func clearDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

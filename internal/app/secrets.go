package app

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// secretsKeyFile is where the embedded mode keeps its secrets key when
// OPENHOUSE_SECRETS_KEY is not set: beside the databases, but not in them,
// so a copy of a database alone opens nothing.
const secretsKeyFile = "secrets.key"

// calendarFromEnv reads the calendar import settings.
func calendarFromEnv(cfg *Config, get func(key, def string) string) error {
	if v := get("OPENHOUSE_CALENDAR_SYNC_INTERVAL", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > 24*time.Hour {
			return fmt.Errorf("OPENHOUSE_CALENDAR_SYNC_INTERVAL: %q must be a duration from 1m to 24h", v)
		}
		cfg.CalendarSyncInterval = d
	}
	if v := get("OPENHOUSE_CALENDAR_ALLOW_HTTP", ""); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("OPENHOUSE_CALENDAR_ALLOW_HTTP: %q must be true or false", v)
		}
		cfg.CalendarAllowHTTP = b
	}
	cfg.SecretsKey = get("OPENHOUSE_SECRETS_KEY", "")
	if cfg.SecretsKey != "" {
		if _, err := decodeSecretsKey(cfg.SecretsKey); err != nil {
			return err
		}
	}
	return nil
}

func decodeSecretsKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(key) != 32 {
		return nil, errors.New("OPENHOUSE_SECRETS_KEY must be 32 bytes in base64 (openssl rand -base64 32)")
	}
	return key, nil
}

// secretsKey is the key that seals secrets at rest (calendar URLs):
// OPENHOUSE_SECRETS_KEY, else the data directory's key file, created on
// first use; nil without either (then each process has its own key, and
// what it sealed cannot be read after a restart: the distributed mode sets
// OPENHOUSE_SECRETS_KEY).
func secretsKey(cfg Config) ([]byte, error) {
	if cfg.SecretsKey != "" {
		return decodeSecretsKey(cfg.SecretsKey)
	}
	if cfg.DataDir == "" {
		return nil, nil
	}
	path := filepath.Join(cfg.DataDir, secretsKeyFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return secretsKey(cfg) // another process wrote it first
		}
		if err != nil {
			return nil, fmt.Errorf("secrets key: %w", err)
		}
		_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			return nil, fmt.Errorf("secrets key: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(string(trimNewline(raw)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("secrets key: %s is not 32 bytes in base64", path)
	}
	return key, nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

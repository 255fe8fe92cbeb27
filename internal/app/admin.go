package app

import (
	"context"
	"io"
	"log/slog"

	"github.com/openhouse/openhouse/internal/iam"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// CreateAdmin creates an admin account in iam's database unless the email
// is taken, without starting the system: `openhouse admin create`. The
// announcement waits in iam's outbox; a running server's relay publishes it
// at its next poll, a stopped one at its next start.
func CreateAdmin(ctx context.Context, cfg Config, email, password string) (created bool, err error) {
	db, err := store.Open(ctx, store.Config{URL: cfg.DatabaseURL, DataDir: cfg.DataDir}, cfg.dbName("iam"))
	if err != nil {
		return false, err
	}
	defer db.Close()
	if err := outbox.Migrate(ctx, db); err != nil {
		return false, err
	}
	st, err := iam.NewSQLStore(ctx, db)
	if err != nil {
		return false, err
	}
	svc, err := iam.New(ctx, st, iam.NewSQLKeyStore(db), iam.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return false, err
	}
	return svc.EnsureAdmin(ctx, email, password)
}

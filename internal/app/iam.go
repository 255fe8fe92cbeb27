package app

import (
	"context"

	"github.com/openhouse/openhouse/internal/iam"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/egress"
)

// buildIAM wires the iam service: its store and signing keys live in its
// own database; the first admin comes from OPENHOUSE_ADMIN_EMAIL.
func buildIAM(ctx context.Context, e env) (component, error) {
	st, err := iam.NewSQLStore(ctx, e.DB, e.Clock.Now)
	if err != nil {
		return nil, err
	}
	key, err := secretsKey(e.Config)
	if err != nil {
		return nil, err
	}
	if key == nil {
		e.Log.Warn("no OPENHOUSE_SECRETS_KEY and no data directory: calendar URLs saved now cannot be read after a restart")
	}
	svc, err := iam.New(ctx, st, iam.NewSQLKeyStore(e.DB), iam.Config{
		ServiceSecrets: e.ServiceSecrets,
		Tokens:         auth.IssuerConfig{TTL: e.Config.AccessTokenTTL},
		Refresh:        iam.RefreshLifetimes{Idle: e.Config.RefreshIdle, Max: e.Config.RefreshMax},
		Calendar: iam.CalendarConfig{Interval: e.Config.CalendarSyncInterval, Key: key,
			Fetch: egress.Config{AllowHTTP: e.Config.CalendarAllowHTTP}},
		Clock: e.Clock,
		Log:   e.Log,
	})
	if err != nil {
		return nil, err
	}
	if e.Config.AdminEmail != "" {
		if _, err := svc.EnsureAdmin(ctx, e.Config.AdminEmail, e.Config.AdminPassword); err != nil {
			return nil, err
		}
	}
	return svc, nil
}

package app

import (
	"context"

	"github.com/openhouse/openhouse/internal/iam"
	"github.com/openhouse/openhouse/internal/platform/auth"
)

// buildIAM wires the iam service: its store and signing keys live in its
// own database; the first admin comes from OPENHOUSE_ADMIN_EMAIL.
func buildIAM(ctx context.Context, e env) (component, error) {
	st, err := iam.NewSQLStore(ctx, e.DB, e.Clock.Now)
	if err != nil {
		return nil, err
	}
	svc, err := iam.New(ctx, st, iam.NewSQLKeyStore(e.DB), iam.Config{
		ServiceSecrets: e.ServiceSecrets,
		Tokens:         auth.IssuerConfig{TTL: e.Config.AccessTokenTTL},
		Refresh:        iam.RefreshLifetimes{Idle: e.Config.RefreshIdle, Max: e.Config.RefreshMax},
		Clock:          e.Clock,
		Log:            e.Log,
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

package app

import (
	"context"

	"github.com/openhouse/openhouse/internal/iam"
)

// buildIAM wires the iam service.
func buildIAM(ctx context.Context, e env) (component, error) {
	st, err := iam.NewSQLStore(ctx, e.DB)
	if err != nil {
		return nil, err
	}
	return iam.New(st, iam.Config{Clock: e.Clock, Log: e.Log})
}

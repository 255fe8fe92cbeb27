package main

import (
	"context"
	"log/slog"

	"github.com/openhouse/openhouse/internal/app"
)

// serveGateway runs `serve --services gateway`: the reverse proxy of the
// distributed mode, which has nothing to migrate.
func serveGateway(ctx context.Context, cmd string, cfg app.Config, log *slog.Logger) int {
	if cmd == "migrate" {
		return 0
	}
	g, err := app.NewGateway(cfg, log)
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	if err := g.Run(ctx); err != nil {
		log.Error("stopped with an error", "err", err)
		return 1
	}
	return 0
}

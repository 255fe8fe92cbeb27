package app

import (
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/web"
)

// webRoutes builds this process's web app (internal/web): the pages, which
// call the public API like any client, and the live stream fed from this
// process's bus. Every process serves it; it holds no state of its own.
// Run's HTTP shutdown closes its streams (see New); a user suspended, or a
// session signed out, while streaming is cut off at the next event.
func (a *App) webRoutes() ([]auth.Route, error) {
	w, err := web.New(web.Config{Bus: a.bus, Clock: a.clock, Log: a.log.With("component", "web"), Tiles: a.cfg.MapTiles,
		Ended: a.revocations.Ended})
	if err != nil {
		return nil, err
	}
	a.web = w
	return w.Routes(), nil
}

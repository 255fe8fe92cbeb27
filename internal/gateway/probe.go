package gateway

import (
	"context"
	"net/http"
	"sync"
)

// Run probes every instance each ProbeInterval until ctx is cancelled.
func (g *Gateway) Run(ctx context.Context) error {
	for {
		g.Probe(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-g.cfg.Clock.After(g.cfg.ProbeInterval):
		}
	}
}

// Probe asks every instance's GET /healthz once, concurrently, and puts
// each in or out of rotation by the answer (200 is healthy).
func (g *Gateway) Probe(ctx context.Context) {
	var wg sync.WaitGroup
	for _, p := range g.pools {
		for _, in := range p.instances {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok := g.probeOne(ctx, in)
				if was := in.healthy.Swap(ok); was != ok {
					g.cfg.Logger.Info("gateway: instance health changed", "service", p.service, "instance", in.url.Host, "healthy", ok)
				}
			}()
		}
	}
	wg.Wait()
}

func (g *Gateway) probeOne(ctx context.Context, in *instance) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.url.JoinPath("/healthz").String(), nil)
	if err != nil {
		return false
	}
	resp, err := g.probe.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

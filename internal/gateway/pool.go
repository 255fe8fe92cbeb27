package gateway

import (
	"net/url"
	"sync/atomic"
)

// instance is one process serving a service. healthy is written by probes
// and by passive ejection, read by every request.
type instance struct {
	url     *url.URL
	healthy atomic.Bool
}

// pool is the instances of one service with round-robin choice among the
// healthy ones. It is safe for concurrent use.
type pool struct {
	service   string
	instances []*instance
	next      atomic.Uint64
}

func newPool(service string, urls []*url.URL) *pool {
	p := &pool{service: service}
	for _, u := range urls {
		in := &instance{url: u}
		in.healthy.Store(true) // optimistic until the first probe says otherwise
		p.instances = append(p.instances, in)
	}
	return p
}

// order returns every instance, healthy ones first, each group starting at
// the next round-robin position, so a request tries the healthy instances
// in turn and falls back to the ejected ones only when no healthy one
// answers (a stale verdict must not make a service unreachable).
func (p *pool) order() []*instance {
	n := len(p.instances)
	start := int(p.next.Add(1)-1) % n
	healthy := make([]*instance, 0, n)
	var ejected []*instance
	for i := range n {
		in := p.instances[(start+i)%n]
		if in.healthy.Load() {
			healthy = append(healthy, in)
		} else {
			ejected = append(ejected, in)
		}
	}
	return append(healthy, ejected...)
}

// healthyCount is how many instances are in rotation.
func (p *pool) healthyCount() int {
	c := 0
	for _, in := range p.instances {
		if in.healthy.Load() {
			c++
		}
	}
	return c
}

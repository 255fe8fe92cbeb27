package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// errClosed: the process is shutting down and opens no more streams.
var errClosed = errors.New("web: live stream closed")

// errTooMany: the user already holds as many streams as they may.
var errTooMany = errors.New("web: too many live streams for one user")

// message is one event as a stream sends it.
type message struct {
	id, typ string
	data    []byte
}

// subscriber is one open stream.
type subscriber struct {
	user   string
	caller auth.Principal // whose token opened it: their session may end
	admin  bool
	ch     chan message
	// gone is closed when the hub stops sending: it fell behind, or the
	// hub closed.
	gone chan struct{}
}

// hub tails the services' streams once per process, from the first stream
// opened until Close, and fans each event out to the streams that may see
// it. Sends never block: a stream that falls Buffer events behind is ended.
type hub struct {
	bus      *bus.Bus
	services []string
	buffer   int
	perUser  int
	ended    func(auth.Principal) bool
	log      *slog.Logger

	startMu sync.Mutex // held while starting the tails
	started bool
	stops   []func()

	mu     sync.Mutex
	closed bool
	subs   map[*subscriber]struct{}
	open   map[string]int // streams per user
}

func newHub(cfg Config) *hub {
	return &hub{bus: cfg.Bus, services: cfg.Services, buffer: cfg.Buffer, perUser: cfg.PerUser, ended: cfg.Ended,
		log: cfg.Log, subs: map[*subscriber]struct{}{}, open: map[string]int{}}
}

// subscribe opens a stream for p. Every event stored after it returns is
// offered to the stream.
func (h *hub) subscribe(ctx context.Context, p auth.Principal) (*subscriber, error) {
	if err := h.start(ctx); err != nil {
		return nil, err
	}
	s := &subscriber{user: p.ID, caller: p, admin: p.Role == auth.RoleAdmin, ch: make(chan message, h.buffer), gone: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errClosed
	}
	if h.open[s.user] >= h.perUser {
		return nil, errTooMany
	}
	h.subs[s] = struct{}{}
	h.open[s.user]++
	return s, nil
}

// unsubscribe forgets s; it is safe after s was dropped.
func (h *hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drop(s)
}

// drop ends s; h.mu is held.
func (h *hub) drop(s *subscriber) {
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.gone)
		if h.open[s.user]--; h.open[s.user] <= 0 {
			delete(h.open, s.user)
		}
	}
}

// start tails every service's stream, once; a failure is retried by the
// next subscribe.
func (h *hub) start(ctx context.Context) error {
	h.startMu.Lock()
	defer h.startMu.Unlock()
	if h.started {
		return nil
	}
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return errClosed
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var stops []func()
	for _, svc := range h.services {
		stop, err := h.bus.Tail(ctx, svc, h.deliver)
		if err != nil {
			for _, s := range stops {
				s()
			}
			return err
		}
		stops = append(stops, stop)
	}
	h.stops, h.started = stops, true
	return nil
}

// deliver offers ev to every stream that may see it, and ends the streams
// of users suspended, or of sessions signed out, since they opened them. Admins get the whole
// event; a party to it gets a notice (id, type, subject, time and the ids
// of the resources it is about) and reads the details from the API, which
// applies its own access rules.
func (h *hub) deliver(ev bus.Event) {
	n := newsOf(ev)
	notice := map[string]any{"id": ev.ID(), "type": ev.Type(), "subject": ev.Subject(), "time": ev.Time(),
		"source": ev.Source(), "refs": n.refs}
	short, err := json.Marshal(notice)
	if err != nil {
		h.log.Warn("live stream: event skipped", "event_id", ev.ID(), "err", err)
		return
	}
	notice["data"] = json.RawMessage(ev.Data())
	full, err := json.Marshal(notice)
	if err != nil {
		full = short // data that is not JSON: admins get the notice
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if h.ended(s.caller) {
			h.drop(s)
			continue
		}
		m := message{id: ev.ID(), typ: ev.Type()}
		switch {
		case s.admin:
			m.data = full
		case slices.Contains(n.parties, s.user):
			m.data = short
		default:
			continue
		}
		select {
		case s.ch <- m:
		default:
			h.log.Info("live stream fell behind; ended", "user_id", s.user)
			h.drop(s)
		}
	}
}

// close ends every stream and stops the tails.
func (h *hub) close() {
	h.startMu.Lock()
	defer h.startMu.Unlock()
	for _, stop := range h.stops {
		stop()
	}
	h.stops, h.started = nil, false
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		h.drop(s)
	}
}

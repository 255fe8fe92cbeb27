package availability

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// Watcher delivers a stream's history and then its live events to this
// process alone (*bus.Bus does, with an ephemeral ordered consumer).
type Watcher interface {
	Watch(ctx context.Context, service string, types []string, h func(bus.Event)) (stop func(), err error)
}

// lossDetector is an index kept outside the process (Redis), which can lose
// its data behind the service's back: a restart without persistence, a
// flush. Mark says "complete now"; Lost says the mark is gone.
type lossDetector interface {
	Mark(ctx context.Context) error
	Lost(ctx context.Context) (bool, error)
}

// Config tunes the service.
type Config struct {
	Clock clock.Clock
	Log   *slog.Logger
	// KeepBookings is how long after its end a booking stays in the index.
	// Default 24h.
	KeepBookings time.Duration
	// PruneEvery is how often old bookings are dropped. Default 1h.
	PruneEvery time.Duration
	// CheckEvery is how often an index kept outside the process (Redis) is
	// checked for a loss of its data, which triggers a rebuild. Default 10s.
	CheckEvery time.Duration
	// OpTimeout bounds each index operation an event causes. Default 5s.
	OpTimeout time.Duration
}

// Service is the availability service: the index, fed from the iam and
// appointment streams, behind its HTTP API.
//
// It has no durable consumers. Each process rebuilds its view by watching
// the streams from their first event (bus.Watch) when Run starts; on Redis
// shared by several processes that replay is harmless because every index
// write is idempotent (see Index).
type Service struct {
	index   Index
	watcher Watcher
	cfg     Config

	feedMu sync.Mutex // serialises starting and stopping the watches
	stops  []func()

	baseMu sync.Mutex
	base   context.Context // Run's context, for the handlers' operations

	applyMu sync.RWMutex // handlers hold it shared; a rebuild exclusively
	gen     uint64       // watches of an older generation are ignored

	applied atomic.Int64 // events handled by the current generation
	stale   atomic.Bool  // an event could not be applied: rebuild
}

// New builds the service on index, fed by w. It takes the index over: when
// Run returns, an index that is an io.Closer is closed.
func New(index Index, w Watcher, cfg Config) (*Service, error) {
	if index == nil || w == nil {
		return nil, errors.New("availability: missing index or watcher")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.KeepBookings == 0 {
		cfg.KeepBookings = 24 * time.Hour
	}
	if cfg.PruneEvery == 0 {
		cfg.PruneEvery = time.Hour
	}
	if cfg.CheckEvery == 0 {
		cfg.CheckEvery = 10 * time.Second
	}
	if cfg.OpTimeout == 0 {
		cfg.OpTimeout = 5 * time.Second
	}
	if cfg.KeepBookings < 0 || cfg.PruneEvery < 0 || cfg.CheckEvery < 0 || cfg.OpTimeout < 0 {
		return nil, errors.New("availability: durations must not be negative")
	}
	return &Service{index: index, watcher: w, cfg: cfg, base: context.Background()}, nil
}

// Index is the index the service keeps.
func (s *Service) Index() Index { return s.index }

// Routes is the HTTP API as an authorization table: admins and the
// appointment service; the open slots also the services that show or
// check times for homes (cart, listing, tour), since they name no realtor.
func (s *Service) Routes() []auth.Route {
	rule := auth.Rule{Roles: []auth.Role{auth.RoleAdmin}, Services: []string{"appointment"}}
	slots := auth.Rule{Roles: []auth.Role{auth.RoleAdmin}, Services: []string{"cart", "listing", "tour", "appointment"}}
	return []auth.Route{
		{Pattern: "GET /availability", Rule: rule, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleSearch),
			Doc: httpapi.Doc{Summary: "Find realtors free near a point (or several) at a time", Reply: httpapi.List[candidateView]{}, Params: searchQuery{},
				Description: "Verified, active, available realtors whose area covers every point and who are free between start and end, nearest first. " +
					"Several homes: repeat lat and lng (the nth lat goes with the nth lng)."}},
		{Pattern: "GET /availability/slots", Rule: slots, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleSlots),
			Doc: httpapi.Doc{Summary: "The starts at which some realtor can show every home", Reply: httpapi.List[time.Time]{}, Params: slotsQuery{}, Whole: true,
				Description: "In UTC, ascending, on the step's grid within each range; no realtor is named or counted."}},
		{Pattern: "GET /availability/{realtor_id}", Rule: rule, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleRealtor),
			Doc: httpapi.Doc{Summary: "What the index holds for one realtor", Reply: realtorView{}}},
		{Pattern: "PATCH /availability/{realtor_id}", Rule: rule, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handlePatch), Body: patchRequest{},
			Doc: httpapi.Doc{Summary: "Reserve or release a realtor's slot", Reply: bookingView{},
				Errors: map[int]string{http.StatusConflict: "The realtor already holds another tour at that time (travel buffer included)."}}},
	}
}

// Watched are the event types the index is fed from, by publishing
// service: it watches them (see Run) rather than consuming them durably.
func (s *Service) Watched() map[string][]string {
	out := map[string][]string{}
	for _, w := range s.watches() {
		out[w.stream] = append(out[w.stream], w.types...)
	}
	return out
}

// Subscriptions is empty: the service watches the streams instead of
// consuming them durably (see Run).
func (s *Service) Subscriptions() []bus.Subscription { return nil }

// Run feeds the index from the streams until ctx ends: it watches iam's
// realtor profiles and appointment's scheduled and released slots from the
// first event, prunes old bookings every PruneEvery, and rebuilds the index
// when an event could not be applied or a shared index lost its data.
func (s *Service) Run(ctx context.Context) error {
	if c, ok := s.index.(io.Closer); ok {
		defer c.Close()
	}
	s.baseMu.Lock()
	s.base = ctx
	s.baseMu.Unlock()
	if ld, ok := s.index.(lossDetector); ok {
		if err := ld.Mark(ctx); err != nil {
			// Redis went away since the app pinged it: feed anyway (the
			// writes fail and mark the index stale) and rebuild when it
			// answers again.
			s.cfg.Log.Error("mark availability index; it will be rebuilt", "err", err)
			s.stale.Store(true)
		}
	}
	if err := s.startFeeding(ctx); err != nil {
		return err
	}
	defer s.stopFeeding()

	every := s.cfg.PruneEvery
	ld, shared := s.index.(lossDetector)
	if shared {
		every = min(every, s.cfg.CheckEvery)
	}
	var pruned time.Time
	for {
		now := s.cfg.Clock.Now()
		if pruned.IsZero() || now.Sub(pruned) >= s.cfg.PruneEvery {
			pruned = now
			if n, err := s.index.Prune(ctx, now.Add(-s.cfg.KeepBookings)); err != nil {
				s.cfg.Log.Warn("prune bookings", "err", err)
			} else if n > 0 {
				s.cfg.Log.Info("pruned old bookings", "count", n)
			}
		}
		rebuild := s.stale.Load()
		if shared && !rebuild {
			lost, err := ld.Lost(ctx)
			if err != nil {
				s.cfg.Log.Warn("check availability index", "err", err)
			}
			if lost {
				s.cfg.Log.Warn("availability index lost its data; rebuilding from the streams")
				rebuild = true
			}
		}
		if rebuild {
			if err := s.Rebuild(ctx); err != nil && ctx.Err() == nil {
				s.cfg.Log.Error("rebuild availability index", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.cfg.Clock.After(every):
		}
	}
}

// Rebuild empties the index and replays the streams into it: the watches
// start again from the first event. Searches in the meantime see a partial
// index. On a Redis index shared by several processes one rebuild is
// enough; the others keep applying live events, which are idempotent.
func (s *Service) Rebuild(ctx context.Context) error {
	s.feedMu.Lock()
	defer s.feedMu.Unlock()
	s.stopLocked()
	s.applyMu.Lock() // waits for handlers in flight; later ones of the old watches are ignored
	s.gen++
	s.applyMu.Unlock()
	s.applied.Store(0)
	s.stale.Store(false)
	if err := s.index.Reset(ctx); err != nil {
		s.stale.Store(true)
		return fmt.Errorf("availability: reset: %w", err)
	}
	if ld, ok := s.index.(lossDetector); ok {
		if err := ld.Mark(ctx); err != nil {
			s.stale.Store(true)
			return fmt.Errorf("availability: mark index: %w", err)
		}
	}
	if err := s.startLocked(ctx); err != nil {
		s.stale.Store(true)
		return err
	}
	return nil
}

// Applied reports how many events the current watches have handled (applied
// or refused); it starts again from 0 at each rebuild.
func (s *Service) Applied() int64 { return s.applied.Load() }

func (s *Service) startFeeding(ctx context.Context) error {
	s.feedMu.Lock()
	defer s.feedMu.Unlock()
	return s.startLocked(ctx)
}

func (s *Service) stopFeeding() {
	s.feedMu.Lock()
	defer s.feedMu.Unlock()
	s.stopLocked()
}

func (s *Service) startLocked(ctx context.Context) error {
	s.applyMu.RLock()
	gen := s.gen
	s.applyMu.RUnlock()
	for _, w := range s.watches() {
		stop, err := s.watcher.Watch(ctx, w.stream, w.types, s.guard(gen, w.handle))
		if err != nil {
			s.stopLocked()
			return fmt.Errorf("availability: watch %s: %w", w.stream, err)
		}
		s.stops = append(s.stops, stop)
	}
	return nil
}

func (s *Service) stopLocked() {
	for _, stop := range s.stops {
		stop()
	}
	s.stops = nil
}

// guard runs h for events of generation gen only, counted.
func (s *Service) guard(gen uint64, h func(ctx context.Context, ev bus.Event)) func(bus.Event) {
	return func(ev bus.Event) {
		s.applyMu.RLock()
		defer s.applyMu.RUnlock()
		if s.gen != gen {
			return
		}
		s.baseMu.Lock()
		base := s.base
		s.baseMu.Unlock()
		ctx, cancel := context.WithTimeout(bus.ContextOf(base, ev), s.cfg.OpTimeout)
		defer cancel()
		h(ctx, ev)
		s.applied.Add(1)
	}
}

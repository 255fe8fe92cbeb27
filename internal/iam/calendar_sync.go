package iam

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/egress"
	"github.com/openhouse/openhouse/internal/platform/seal"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// CalendarConfig is how realtors' own calendars are imported.
type CalendarConfig struct {
	// Interval between two fetches of one calendar. Default 10m
	// (OPENHOUSE_CALENDAR_SYNC_INTERVAL).
	Interval time.Duration
	// Fetch shapes the SSRF-safe client (https only, public addresses
	// only, 10 s, 2 MiB); AllowHTTP and Allow are for tests.
	Fetch egress.Config
	// Key seals the URLs at rest (32 bytes, AES-256-GCM). Nil: a random
	// key for this process, so URLs saved before a restart can no longer be
	// read (tests only; the app always passes one).
	Key []byte
	// PollInterval is the longest the poller sleeps when nothing is due
	// sooner. Default 1m.
	PollInterval time.Duration
}

func (c CalendarConfig) withDefaults() CalendarConfig {
	if c.Interval <= 0 {
		c.Interval = 10 * time.Minute
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Minute
	}
	if c.Fetch.Timeout <= 0 {
		c.Fetch.Timeout = 10 * time.Second
	}
	if c.Fetch.MaxBytes <= 0 {
		c.Fetch.MaxBytes = 2 << 20
	}
	c.Fetch.Accept = []string{"text/calendar", "application/ics", "text/plain"}
	c.Fetch.UserAgent = "openhouse-calendar/1"
	return c
}

// MaxCalendarBackoff bounds the wait after repeated failures.
const maxCalendarBackoff = 24 * time.Hour

// CalendarImport is one realtor's calendar as the store keeps it.
type calendarImport struct {
	UserID        string
	Sealed        []byte // the URL, sealed
	NextSyncAt    time.Time
	Claim         string
	Failures      int
	LastSuccessAt time.Time
	LastError     string
	BusyHash      string // of the blocks last announced
}

// CalendarSyncState is what GET /iam/me shows of it: never the URL.
type calendarSyncState struct {
	URLSet        bool
	LastSuccessAt time.Time
	LastError     string
}

// CalendarOutcome is what one sync did.
type calendarOutcome struct {
	Success    bool
	Error      string
	BusyHash   string
	NextSyncAt time.Time
	At         time.Time
}

// Next is the outcome of a sync that ended with err (nil: success) after
// failures earlier failures in a row: on success the next fetch is an
// interval away; each failure doubles the wait, up to MaxCalendarBackoff.
func (imp calendarImport) Next(err error, hash string, interval time.Duration, now time.Time) calendarOutcome {
	if err == nil {
		return calendarOutcome{Success: true, BusyHash: hash, NextSyncAt: now.Add(interval), At: now}
	}
	wait := interval
	for i := 0; i < imp.Failures && wait < maxCalendarBackoff; i++ {
		wait *= 2
	}
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return calendarOutcome{Error: msg, BusyHash: imp.BusyHash, NextSyncAt: now.Add(min(wait, maxCalendarBackoff)), At: now}
}

// ValidateCalendarURL checks a calendar URL as given: absolute https (http
// only when allowHTTP, for tests), a host, no credentials, at most 2048
// characters. Where it points is checked at every fetch, after DNS.
func validateCalendarURL(raw string, allowHTTP bool) error {
	invalid := func(msg string) error { return fault.ValidationError{{Field: "calendar_url", Message: msg}} }
	if len(raw) > 2048 {
		return invalid("must be at most 2048 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return invalid("must be an absolute https URL (your calendar's secret address in iCal format)")
	}
	if u.User != nil {
		return invalid("must not carry a user name or password")
	}
	if u.Scheme == "webcal" {
		return invalid("use https:// instead of webcal://")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && allowHTTP) {
		return invalid("must be an absolute https URL (your calendar's secret address in iCal format)")
	}
	return nil
}

// sealer seals calendar URLs with the deployment's secrets key.
type sealer struct{ box *seal.Box }

func newSealer(key []byte) (sealer, error) {
	box, err := seal.New(key)
	return sealer{box}, err
}

// seal encrypts plain, bound to the user (a sealed URL copied to another
// user's row does not open).
func (s sealer) seal(userID, plain string) ([]byte, error) {
	return s.box.Seal(userID, []byte(plain))
}

func (s sealer) open(userID string, sealed []byte) (string, error) {
	plain, err := s.box.Open(userID, sealed)
	if err != nil {
		return "", errors.New("the saved calendar address cannot be read (the secrets key changed); set it again")
	}
	return string(plain), nil
}

// SetCalendarURL saves (or, with "", removes) a realtor's calendar URL and
// asks the poller to fetch it now. Removing it announces that the realtor
// has no busy blocks any more.
func (s *Service) SetCalendarURL(ctx context.Context, userID, raw string) error {
	now := s.cfg.Clock.Now().UTC()
	if raw == "" {
		ev, err := busyEvent(ctx, userID, nil, now)
		if err != nil {
			return err
		}
		return s.store.DeleteCalendarImport(ctx, userID, ev)
	}
	if err := validateCalendarURL(raw, s.cfg.Calendar.Fetch.AllowHTTP); err != nil {
		return err
	}
	sealed, err := s.sealer.seal(userID, raw)
	if err != nil {
		return err
	}
	if err := s.store.PutCalendarImport(ctx, calendarImport{UserID: userID, Sealed: sealed, NextSyncAt: now}, now); err != nil {
		return err
	}
	s.wakeCalendar()
	return nil
}

func (s *Service) wakeCalendar() {
	select {
	case s.calendarWake <- struct{}{}:
	default:
	}
}

func busyEvent(ctx context.Context, userID string, blocks []busyBlock, now time.Time) (bus.Event, error) {
	e := events.RealtorBusyChanged{RealtorID: userID, From: now, To: now.Add(busyHorizon), Blocks: make([]events.BusyBlock, len(blocks)), At: now}
	for i, b := range blocks {
		e.Blocks[i] = events.BusyBlock{Start: b.Start, End: b.End}
	}
	return bus.NewEvent(ctx, events.TypeRealtorBusyChanged, userID, e, now)
}

// busyHash identifies a set of blocks, to announce only changes.
func busyHash(blocks []busyBlock) string {
	raw, _ := json.Marshal(blocks)
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// SyncCalendars fetches every calendar that is due, one at a time, and
// returns how many it handled.
func (s *Service) SyncCalendars(ctx context.Context) (int, error) {
	done := 0
	for ctx.Err() == nil {
		now := s.cfg.Clock.Now().UTC()
		imp, ok, err := s.store.ClaimCalendarImport(ctx, now, now.Add(s.cfg.Calendar.Fetch.Timeout+time.Minute), uuid.NewString())
		if err != nil || !ok {
			return done, err
		}
		if err := s.syncOne(ctx, imp); err != nil {
			return done, err
		}
		done++
	}
	return done, ctx.Err()
}

// syncOne fetches one claimed calendar, outside any transaction, and
// records the outcome; the busy blocks are announced when they changed.
func (s *Service) syncOne(ctx context.Context, imp calendarImport) error {
	blocks, ferr := s.fetchBusy(ctx, imp)
	if ctx.Err() != nil {
		return ctx.Err() // the claim expires; another round tries again
	}
	now := s.cfg.Clock.Now().UTC()
	hash := busyHash(blocks)
	out := imp.Next(ferr, hash, s.cfg.Calendar.Interval, now)
	var evs []bus.Event
	if ferr == nil && hash != imp.BusyHash {
		ev, err := busyEvent(ctx, imp.UserID, blocks, now)
		if err != nil {
			return err
		}
		evs = append(evs, ev)
	}
	recorded, err := s.store.FinishCalendarImport(ctx, imp, out, evs...)
	if err != nil {
		return err
	}
	log := s.cfg.Log.With("user_id", imp.UserID)
	switch {
	case !recorded:
		log.InfoContext(ctx, "calendar changed while it was fetched; the result was dropped")
	case ferr != nil:
		log.WarnContext(ctx, "calendar sync failed", "err", out.Error, "failures", imp.Failures+1, "next_sync_at", out.NextSyncAt)
	default:
		log.InfoContext(ctx, "calendar synced", "busy_blocks", len(blocks), "changed", len(evs) > 0)
	}
	return nil
}

func (s *Service) fetchBusy(ctx context.Context, imp calendarImport) ([]busyBlock, error) {
	raw, err := s.sealer.open(imp.UserID, imp.Sealed)
	if err != nil {
		return nil, err
	}
	zone := time.UTC
	if p, err := s.store.Profile(ctx, imp.UserID); err == nil {
		if l, err := time.LoadLocation(p.TimeZone); err == nil {
			zone = l
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	body, err := s.fetcher.Get(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	now := s.cfg.Clock.Now().UTC()
	return expandBusy(body, zone, now, now.Add(busyHorizon))
}

// Run is iam's background work: the calendar poller. It sleeps on the
// injected clock until the next calendar is due, a URL is set, or
// PollInterval passes.
func (s *Service) Run(ctx context.Context) error {
	failures := 0
	for {
		_, err := s.SyncCalendars(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := s.cfg.Calendar.PollInterval
		if err != nil {
			failures++
			wait = min(time.Duration(failures)*time.Second, wait)
			s.cfg.Log.WarnContext(ctx, "calendar sync round failed", "err", err)
		} else {
			failures = 0
			if next, ok, err := s.store.NextCalendarSync(ctx); err == nil && ok {
				wait = min(wait, max(next.Sub(s.cfg.Clock.Now()), time.Second))
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.calendarWake:
		case <-s.cfg.Clock.After(wait):
		}
	}
}

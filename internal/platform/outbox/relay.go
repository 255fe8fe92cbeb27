package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// Publisher is where the relay sends events. bus.Bus is one.
// PublishEncoded hands over an event in its wire form (as Add stored it)
// without waiting for the acknowledgement, so that a round has its whole
// batch in flight at once; events handed over earlier are stored earlier
// unless one fails. It must be safe to repeat with the same event: the
// relay re-publishes a row whose publish it could not record (the bus
// deduplicates by event id).
type Publisher interface {
	PublishEncoded(ctx context.Context, id, typ string, data []byte) (bus.Ack, error)
}

// RelayConfig tunes a Relay. The zero value is usable.
type RelayConfig struct {
	// Batch is how many rows one round claims. Default 100.
	Batch int
	// PollInterval is the fallback wake-up when no commit signalled new
	// rows (e.g. rows written by another process). Default 1s.
	PollInterval time.Duration
	// Retention is how long published rows stay in the log. Default 72h.
	Retention time.Duration
	// MarkDelay is how long, on SQLite, the relay may keep rows it has
	// published before marking them published, so that one transaction
	// marks the rows of many rounds (see Relay). Default 100ms.
	MarkDelay time.Duration
	// Clock drives polling and retention. Default the wall clock.
	Clock clock.Clock
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Service names the database's owner in metrics. Default the
	// database's namespace.
	Service string
	// Metrics, when set, receives openhouse_outbox_backlog and
	// openhouse_outbox_oldest_pending_seconds for this database, read on
	// every scrape (see Backlog). Nil exports none.
	Metrics prometheus.Registerer
}

func (c *RelayConfig) setDefaults() {
	if c.Batch <= 0 {
		c.Batch = 100
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.Retention <= 0 {
		c.Retention = 72 * time.Hour
	}
	if c.MarkDelay <= 0 {
		c.MarkDelay = 100 * time.Millisecond
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Relay publishes a database's pending outbox rows in order. On PostgreSQL
// any number of relays may run on one database: each round claims its rows
// with FOR UPDATE SKIP LOCKED inside a transaction, so no row is published by
// two relays at once, and a relay that dies mid-round leaves its rows pending
// for the next one.
//
// On SQLite (one writer per file, one relay per process, so rows commit in
// sequence order) Run marks what it published once it has been idle for
// MarkDelay or has Batch rows to mark, not after every round: a relay woken
// by each commit publishes a row or two per round, and marking them cost a
// write transaction each. Meanwhile it reads only rows after the last one
// it published. A relay that dies before marking leaves those rows pending;
// the next one publishes them again, which the bus drops as duplicates (the
// crash between publish and mark, as before).
type Relay struct {
	db        *store.DB
	pub       Publisher
	cfg       RelayConfig
	wake      chan struct{}
	lastPrune time.Time
	// rounds is held by every round, and by Pause until its resume: a
	// paused relay finishes the round in progress (its rows marked) and
	// publishes nothing more. A one-slot channel rather than a mutex so
	// that Pause can give up when its context ends.
	rounds chan struct{}
	// unmarked are published rows not yet marked (SQLite, Run), published
	// since unmarkedSince (both under mu: Run reads them outside rounds);
	// after is the last of them: Run reads rows after it (under rounds).
	mu            sync.Mutex
	unmarked      []int64
	unmarkedSince time.Time
	after         int64
}

// NewRelay returns a relay for db that wakes whenever db commits.
func NewRelay(db *store.DB, pub Publisher, cfg RelayConfig) *Relay {
	cfg.setDefaults()
	if cfg.Service == "" {
		cfg.Service = db.Namespace
	}
	r := &Relay{db: db, pub: pub, cfg: cfg, wake: make(chan struct{}, 1), rounds: make(chan struct{}, 1)}
	db.AfterCommit(r.Wake)
	if cfg.Metrics != nil {
		prometheus.WrapRegistererWith(prometheus.Labels{"service": cfg.Service}, cfg.Metrics).
			MustRegister(&backlogCollector{db: db, clock: cfg.Clock, log: cfg.Logger})
	}
	return r
}

// Wake asks the relay to look for pending rows now. It never blocks.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run publishes until ctx is cancelled. Failures (the bus being down, say)
// are logged and retried with backoff; Run returns only ctx's error.
func (r *Relay) Run(ctx context.Context) error {
	failures := 0
	for {
		n, err := r.flush(ctx, r.db.Dialect.SkipLocked == "")
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := r.cfg.PollInterval
		switch {
		case err != nil:
			failures++
			wait = min(time.Duration(failures)*100*time.Millisecond, 5*time.Second)
			r.cfg.Logger.Warn("outbox relay round failed", "db", r.db.Namespace, "err", err, "retry_in", wait)
		case n > 0:
			// A commit after the read has woken the relay again (the
			// hook runs after the commit): waiting misses nothing.
			failures = 0
		default:
			failures = 0
			r.prune(ctx)
		}
		if since, ok := r.unmarkedFor(); ok {
			due := r.cfg.MarkDelay - r.cfg.Clock.Now().Sub(since)
			if due <= 0 {
				err := r.markTurn(ctx)
				if err == nil {
					continue
				}
				r.cfg.Logger.Warn("outbox relay could not mark rows published", "db", r.db.Namespace, "err", err)
				due = time.Second
			}
			wait = min(wait, due)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.wake:
		case <-r.cfg.Clock.After(wait):
		}
	}
}

// Pause waits for the round in progress to end, marks what the relay has
// published, and keeps the relay from publishing until resume is called:
// then every row the database shows as published is in the stream, and no
// other is, for as long as the pause lasts (a backup copies the streams
// meanwhile). Commits go on; their rows wait. resume may be called more
// than once.
func (r *Relay) Pause(ctx context.Context) (resume func(), err error) {
	if err := r.take(ctx); err != nil {
		return nil, fmt.Errorf("outbox: pause the %s relay: %w", r.cfg.Service, err)
	}
	if err := r.mark(ctx); err != nil {
		<-r.rounds
		return nil, fmt.Errorf("outbox: pause the %s relay: %w", r.cfg.Service, err)
	}
	return sync.OnceFunc(func() { <-r.rounds }), nil
}

// Flush publishes pending rows until none is left or a publish fails, marks
// them published, and returns how many it published. While the relay is
// paused it waits.
func (r *Relay) Flush(ctx context.Context) (int, error) {
	if err := r.markTurn(ctx); err != nil { // what Run published last
		return 0, err
	}
	return r.flush(ctx, false)
}

// flush publishes rounds until one is not full or fails; with deferMarks,
// their marks may wait (see Relay).
func (r *Relay) flush(ctx context.Context, deferMarks bool) (int, error) {
	total := 0
	for {
		n, err := r.turn(ctx, deferMarks)
		total += n
		if err != nil || n < r.cfg.Batch {
			return total, err
		}
	}
}

// take waits until no round runs and the relay is not paused, and holds
// rounds; the caller gives it back with <-r.rounds.
func (r *Relay) take(ctx context.Context) error {
	select {
	case r.rounds <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// turn is one round, taken when the relay is not paused.
func (r *Relay) turn(ctx context.Context, deferMarks bool) (int, error) {
	if err := r.take(ctx); err != nil {
		return 0, err
	}
	defer func() { <-r.rounds }()
	return r.round(ctx, deferMarks)
}

// unmarkedFor reports since when published rows have waited for their mark.
func (r *Relay) unmarkedFor() (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unmarkedSince, len(r.unmarked) > 0
}

// markTurn marks the published rows, when the relay is not paused.
func (r *Relay) markTurn(ctx context.Context) error {
	if err := r.take(ctx); err != nil {
		return err
	}
	defer func() { <-r.rounds }()
	return r.mark(ctx)
}

// mark records the published rows kept unmarked. The caller holds rounds.
func (r *Relay) mark(ctx context.Context) error {
	r.mu.Lock()
	seqs := r.unmarked
	r.mu.Unlock()
	if len(seqs) == 0 {
		return nil
	}
	if err := r.db.InTxNoHooks(ctx, func(tx *sql.Tx) error { return r.markPublished(ctx, tx, seqs) }); err != nil {
		return err
	}
	r.mu.Lock()
	r.unmarked = nil // only the holder of rounds adds to it
	r.mu.Unlock()
	return nil
}

type pendingRow struct {
	seq     int64
	id, typ string
	subject sql.NullString
	payload []byte
}

// round publishes one batch. Where the engine can claim rows (PostgreSQL),
// the claim, the publishes and the marks are one transaction. SQLite has a
// single writer per file and one relay per process, so it reads the batch
// without holding the write lock while publishing, and keeps what it
// published for mark: marked at once unless deferMarks, or when Batch rows
// wait, or when a publish failed (the next round then reads from the
// start again). The caller holds rounds.
func (r *Relay) round(ctx context.Context, deferMarks bool) (int, error) {
	if r.db.Dialect.SkipLocked == "" {
		after := int64(0)
		if deferMarks {
			after = r.after
		}
		rows, err := r.pending(ctx, r.db.DB, after)
		if err != nil || len(rows) == 0 {
			return 0, err
		}
		published, pubErr := r.publish(ctx, rows)
		r.mu.Lock()
		if len(r.unmarked) == 0 {
			r.unmarkedSince = r.cfg.Clock.Now()
		}
		r.unmarked = append(r.unmarked, published...)
		waiting := len(r.unmarked)
		r.mu.Unlock()
		if pubErr == nil {
			r.after = rows[len(rows)-1].seq
		} else {
			r.after = 0
		}
		if !deferMarks || pubErr != nil || waiting >= r.cfg.Batch {
			if err := r.mark(ctx); err != nil {
				return 0, err
			}
		}
		return len(published), pubErr
	}
	var count int
	var pubErr error
	err := r.db.InTxNoHooks(ctx, func(tx *sql.Tx) error {
		rows, err := r.pending(ctx, tx, 0)
		if err != nil || len(rows) == 0 {
			return err
		}
		var published []int64
		published, pubErr = r.publish(ctx, rows)
		count = len(published)
		return r.markPublished(ctx, tx, published)
	})
	if err != nil {
		return 0, err
	}
	return count, pubErr
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// pending reads the next batch of pending rows after the row with seq after.
func (r *Relay) pending(ctx context.Context, q querier, after int64) ([]pendingRow, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT seq, event_id, type, subject, payload FROM outbox WHERE state = 'pending' AND seq > $1 ORDER BY seq LIMIT $2 `+r.db.Dialect.SkipLocked,
		after, r.cfg.Batch)
	if err != nil {
		return nil, fmt.Errorf("outbox: read pending: %w", err)
	}
	defer rows.Close()
	var out []pendingRow
	for rows.Next() {
		var p pendingRow
		if err := rows.Scan(&p.seq, &p.id, &p.typ, &p.subject, &p.payload); err != nil {
			return nil, fmt.Errorf("outbox: read pending: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// publishTimeout bounds a round's wait for its acknowledgements (the bus
// fails an unacknowledged publish after 10 s itself).
const publishTimeout = 15 * time.Second

// publish hands the rows to the bus in order, all in flight at once, and
// returns the ones acknowledged. Events about one thing (one CloudEvents
// subject) stay in order: a row waits for the acknowledgement of the
// previous row about the same thing before it is handed over, and a failed
// one stops the round, so a later event about a thing never overtakes an
// earlier one. Events about different things may be stored out of commit
// order only when a publish fails (it is retried in a later round), which
// consumers already allow: they handle different things side by side.
func (r *Relay) publish(ctx context.Context, rows []pendingRow) ([]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	type inFlight struct {
		seq int64
		ack bus.Ack
	}
	sent := make([]inFlight, 0, len(rows))
	last := make(map[string]bus.Ack, len(rows)) // the latest in flight per subject
	var failed error
	for _, row := range rows {
		subject, err := row.subjectOf()
		if err != nil {
			failed = fmt.Errorf("outbox: row %d: %w", row.seq, err)
			break
		}
		if prev, ok := last[subject]; ok {
			if err := prev.Wait(ctx); err != nil {
				break // the failure is recorded below, with its row
			}
		}
		ack, err := r.pub.PublishEncoded(ctx, row.id, row.typ, row.payload)
		if err != nil {
			r.recordFailure(ctx, row.seq, err)
			failed = fmt.Errorf("outbox: publish row %d: %w", row.seq, err)
			break
		}
		sent = append(sent, inFlight{row.seq, ack})
		last[subject] = ack
	}
	published := make([]int64, 0, len(sent))
	for _, s := range sent {
		if err := s.ack.Wait(ctx); err != nil {
			r.recordFailure(ctx, s.seq, err)
			if failed == nil {
				failed = fmt.Errorf("outbox: publish row %d: %w", s.seq, err)
			}
			continue
		}
		published = append(published, s.seq)
	}
	return published, failed
}

// subjectOf is the row's CloudEvents subject; rows written before the
// subject column existed are decoded for it.
func (p pendingRow) subjectOf() (string, error) {
	if p.subject.Valid {
		return p.subject.String, nil
	}
	ev, err := bus.Decode(p.payload)
	if err != nil {
		return "", err
	}
	return ev.Subject(), nil
}

func (r *Relay) markPublished(ctx context.Context, tx *sql.Tx, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	args := make([]any, 0, len(seqs)+1)
	args = append(args, r.cfg.Clock.Now().UTC())
	marks := make([]string, len(seqs))
	for i, s := range seqs {
		args = append(args, s)
		marks[i] = fmt.Sprintf("$%d", i+2)
	}
	_, err := tx.ExecContext(ctx,
		`UPDATE outbox SET state = 'published', published_at = $1, attempts = attempts + 1 WHERE seq IN (`+strings.Join(marks, ",")+`)`,
		args...)
	if err != nil {
		return fmt.Errorf("outbox: mark published: %w", err)
	}
	return nil
}

// recordFailure notes a failed publish on its row for operators. It uses its
// own statement: inside a claiming transaction on PostgreSQL it would wait
// for the claim, so it is best effort and bounded.
func (r *Relay) recordFailure(ctx context.Context, seq int64, cause error) {
	if r.db.Dialect.SkipLocked != "" {
		return // the row is locked by our own claim; the log line must do
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_, err := r.db.ExecContext(ctx,
		`UPDATE outbox SET attempts = attempts + 1, last_error = $1 WHERE seq = $2`, cause.Error(), seq)
	if err != nil && !errors.Is(err, context.Canceled) {
		r.cfg.Logger.Warn("outbox: record publish failure", "seq", seq, "err", err)
	}
}

// prune deletes published rows older than the retention, at most hourly.
func (r *Relay) prune(ctx context.Context) {
	now := r.cfg.Clock.Now()
	if now.Sub(r.lastPrune) < time.Hour {
		return
	}
	r.lastPrune = now
	cutoff := now.Add(-r.cfg.Retention).UTC()
	if _, err := r.db.ExecContext(ctx, `DELETE FROM outbox WHERE state = 'published' AND published_at < $1`, cutoff); err != nil {
		r.cfg.Logger.Warn("outbox: prune", "err", err)
	}
	if _, err := r.db.ExecContext(ctx, `DELETE FROM inbox WHERE processed_at < $1`, cutoff); err != nil {
		r.cfg.Logger.Warn("inbox: prune", "err", err)
	}
}

// Backlog reports how many rows wait to be published and the age of the
// oldest, for metrics and alerts. On SQLite that includes rows published in
// the last RelayConfig.MarkDelay and not yet marked.
func Backlog(ctx context.Context, db *store.DB, now time.Time) (count int, oldest time.Duration, err error) {
	var first store.Time
	err = db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM outbox WHERE state = 'pending'`).Scan(&count, &first)
	if err != nil {
		return 0, 0, fmt.Errorf("outbox: backlog: %w", err)
	}
	if first.Valid {
		oldest = now.Sub(first.Time)
	}
	return count, oldest, nil
}

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
		n, err := r.Flush(ctx)
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
			failures = 0
			continue // there may be more
		default:
			failures = 0
			r.prune(ctx)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.wake:
		case <-r.cfg.Clock.After(wait):
		}
	}
}

// Pause waits for the round in progress to end and keeps the relay from
// publishing until resume is called: then every row the database shows as
// published is in the stream, and no other is, for as long as the pause
// lasts (a backup copies the streams meanwhile). Commits go on; their rows
// wait. resume may be called more than once.
func (r *Relay) Pause(ctx context.Context) (resume func(), err error) {
	select {
	case r.rounds <- struct{}{}:
		return sync.OnceFunc(func() { <-r.rounds }), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("outbox: pause the %s relay: %w", r.cfg.Service, ctx.Err())
	}
}

// Flush publishes pending rows until none is left or a publish fails, and
// returns how many it published. While the relay is paused it waits.
func (r *Relay) Flush(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := r.turn(ctx)
		total += n
		if err != nil || n < r.cfg.Batch {
			return total, err
		}
	}
}

// turn is one round, taken when the relay is not paused.
func (r *Relay) turn(ctx context.Context) (int, error) {
	select {
	case r.rounds <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-r.rounds }()
	return r.round(ctx)
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
// without holding the write lock while publishing.
func (r *Relay) round(ctx context.Context) (int, error) {
	if r.db.Dialect.SkipLocked == "" {
		rows, err := r.pending(ctx, r.db.DB)
		if err != nil || len(rows) == 0 {
			return 0, err
		}
		published, pubErr := r.publish(ctx, rows)
		if err := r.db.InTxNoHooks(ctx, func(tx *sql.Tx) error { return r.markPublished(ctx, tx, published) }); err != nil {
			return 0, err
		}
		return len(published), pubErr
	}
	var count int
	var pubErr error
	err := r.db.InTxNoHooks(ctx, func(tx *sql.Tx) error {
		rows, err := r.pending(ctx, tx)
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

func (r *Relay) pending(ctx context.Context, q querier) ([]pendingRow, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT seq, event_id, type, subject, payload FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT $1 `+r.db.Dialect.SkipLocked,
		r.cfg.Batch)
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
// oldest, for metrics and alerts.
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

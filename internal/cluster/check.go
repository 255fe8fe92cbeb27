package cluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/openhouse/openhouse/internal/app"
)

// Verdict is what the databases and streams of a cluster say after a run.
// It is read from PostgreSQL and JetStream directly, never from the
// services' APIs or counters.
type Verdict struct {
	// Paid bookings (payments that succeeded) by outcome.
	Paid, Scheduled, Refunded, Waiting int
	// Lost: a paid booking with no tour, a tour still pending, a scheduled
	// tour without its active appointment, or a cancelled one not refunded.
	Lost int
	// DuplicateCharges: orders charged more than once, or payments refunded
	// more than once.
	DuplicateCharges int
	// DoubleBookings: pairs of active appointments of one realtor that overlap.
	DoubleBookings int
	// DuplicateNotifications: the same notice to the same user about the
	// same tour more than once.
	DuplicateNotifications int
	// Events in the services' outboxes, and those lost: still pending, or
	// published but absent from their stream.
	OutboxEvents, PendingEvents, MissingEvents int
	// StreamEvents are the messages in the services' streams;
	// DuplicateStreamEvents the ones stored twice with one event id.
	StreamEvents, DuplicateStreamEvents int
	// Undelivered: messages the durable consumers have not acknowledged.
	Undelivered int
	// DeadLetters in the dead-letter stream.
	DeadLetters int
	// Problems names the first few faults found.
	Problems []string
}

// OK reports whether nothing was lost, doubled or left behind.
func (v Verdict) OK() bool {
	return v.Lost == 0 && v.DuplicateCharges == 0 && v.DoubleBookings == 0 && v.DuplicateNotifications == 0 &&
		v.PendingEvents == 0 && v.MissingEvents == 0 && v.Undelivered == 0 && v.DeadLetters == 0
}

func (v Verdict) String() string {
	return fmt.Sprintf("paid bookings %d: %d scheduled, %d refunded, %d waiting for a realtor, %d lost; "+
		"%d duplicate charges, %d double bookings, %d duplicate notifications; "+
		"events: %d in outboxes (%d pending, %d missing from streams), %d in streams (%d stored twice), %d unacknowledged, %d dead letters",
		v.Paid, v.Scheduled, v.Refunded, v.Waiting, v.Lost, v.DuplicateCharges, v.DoubleBookings, v.DuplicateNotifications,
		v.OutboxEvents, v.PendingEvents, v.MissingEvents, v.StreamEvents, v.DuplicateStreamEvents, v.Undelivered, v.DeadLetters)
}

func (v *Verdict) problem(format string, args ...any) {
	if len(v.Problems) < 20 {
		v.Problems = append(v.Problems, fmt.Sprintf(format, args...))
	}
}

// Checker reads a cluster's databases and streams.
type Checker struct {
	db *sql.DB
	nc *nats.Conn
	js jetstream.JetStream
	ns string
}

// NewChecker connects to the cluster's database and, as its NATS admin
// user, to its JetStream.
func NewChecker(t *Topology) (*Checker, error) {
	db, err := sql.Open("pgx", t.DatabaseURL)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2)
	nc, err := nats.Connect(t.NATSURL("admin"), nats.MaxReconnects(-1))
	if err != nil {
		db.Close()
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		db.Close()
		return nil, err
	}
	return &Checker{db: db, nc: nc, js: js, ns: t.Options.Namespace}, nil
}

// Close releases the connections.
func (c *Checker) Close() {
	c.nc.Close()
	c.db.Close()
}

// table is a service's table, schema-qualified as internal/app names
// schemas.
func (c *Checker) table(service, name string) string {
	schema := service
	if c.ns != "" {
		schema = c.ns + "_" + service
	}
	return pgx.Identifier{schema, name}.Sanitize()
}

func (c *Checker) stream(service string) string {
	if c.ns == "" {
		return strings.ToUpper(service)
	}
	return strings.ToUpper(c.ns) + "_" + strings.ToUpper(service)
}

// Settled reports whether the system is at rest: every outbox published,
// every consumer caught up, no tour pending. The chaos run waits for it
// before Check.
func (c *Checker) Settled(ctx context.Context) (bool, string, error) {
	pending, err := c.pendingOutbox(ctx)
	if err != nil {
		return false, "", err
	}
	undelivered, err := c.undelivered(ctx)
	if err != nil {
		return false, "", err
	}
	var tours int
	if err := c.db.QueryRowContext(ctx, "SELECT count(*) FROM "+c.table("tour", "tours")+" WHERE status = 'pending'").Scan(&tours); err != nil {
		return false, "", err
	}
	state := fmt.Sprintf("%d outbox rows pending, %d deliveries unacknowledged, %d tours pending", pending, undelivered, tours)
	return pending == 0 && undelivered == 0 && tours == 0, state, nil
}

func (c *Checker) pendingOutbox(ctx context.Context) (int, error) {
	total := 0
	for _, s := range app.ServiceNames() {
		var n int
		if err := c.db.QueryRowContext(ctx, "SELECT count(*) FROM "+c.table(s, "outbox")+" WHERE state = 'pending'").Scan(&n); err != nil {
			return 0, fmt.Errorf("outbox of %s: %w", s, err)
		}
		total += n
	}
	return total, nil
}

// undelivered sums what every durable consumer of every stream still has
// to deliver or to see acknowledged.
func (c *Checker) undelivered(ctx context.Context) (int, error) {
	total := 0
	names := c.js.StreamNames(ctx)
	var streams []string
	for name := range names.Name() {
		streams = append(streams, name)
	}
	if err := names.Err(); err != nil {
		return 0, err
	}
	for _, name := range streams {
		s, err := c.js.Stream(ctx, name)
		if err != nil {
			return 0, err
		}
		infos := s.ListConsumers(ctx)
		for info := range infos.Info() {
			if info.Config.Durable == "" {
				continue // ordered consumers of Watch
			}
			total += int(info.NumPending) + info.NumAckPending
		}
		if err := infos.Err(); err != nil {
			return 0, err
		}
	}
	return total, nil
}

// Check reads everything and returns the verdict.
func (c *Checker) Check(ctx context.Context) (Verdict, error) {
	var v Verdict
	for _, step := range []func(context.Context, *Verdict) error{c.checkBookings, c.checkCharges, c.checkDoubleBookings, c.checkNotifications, c.checkEvents} {
		if err := step(ctx, &v); err != nil {
			return v, err
		}
	}
	return v, nil
}

func (c *Checker) checkBookings(ctx context.Context, v *Verdict) error {
	refunded := map[string]int64{}
	rows, err := c.db.QueryContext(ctx, "SELECT payment_id, sum(amount) FROM "+c.table("payment", "refunds")+" WHERE status = 'succeeded' GROUP BY payment_id")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		var amount int64
		if err := rows.Scan(&id, &amount); err != nil {
			rows.Close()
			return err
		}
		refunded[id] = amount
	}
	rows.Close()
	type tour struct{ id, status, realtor string }
	tours := map[string]tour{}
	rows, err = c.db.QueryContext(ctx, "SELECT payment_id, id, status, realtor_id FROM "+c.table("tour", "tours"))
	if err != nil {
		return err
	}
	for rows.Next() {
		var pay string
		var t tour
		if err := rows.Scan(&pay, &t.id, &t.status, &t.realtor); err != nil {
			rows.Close()
			return err
		}
		tours[pay] = t
	}
	rows.Close()
	active := map[string]string{} // tour -> realtor
	rows, err = c.db.QueryContext(ctx, "SELECT tour_id, realtor_id FROM "+c.table("appointment", "appointments")+" WHERE status IN ('scheduled', 'confirmed')")
	if err != nil {
		return err
	}
	for rows.Next() {
		var tourID, realtor string
		if err := rows.Scan(&tourID, &realtor); err != nil {
			rows.Close()
			return err
		}
		active[tourID] = realtor
	}
	rows.Close()
	rows, err = c.db.QueryContext(ctx, "SELECT id, amount FROM "+c.table("payment", "payments")+" WHERE status IN ('succeeded', 'refunded', 'partially_refunded')")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var amount int64
		if err := rows.Scan(&id, &amount); err != nil {
			return err
		}
		v.Paid++
		t, ok := tours[id]
		switch {
		case !ok:
			v.Lost++
			v.problem("payment %s has no tour", id)
		case t.status == "scheduled" || t.status == "completed":
			if active[t.id] != t.realtor {
				v.Lost++
				v.problem("tour %s is %s with %q but its active appointment is with %q", t.id, t.status, t.realtor, active[t.id])
			} else {
				v.Scheduled++
			}
		case (t.status == "cancelled" || t.status == "unassigned") && refunded[id] == amount:
			v.Refunded++
		case t.status == "unassigned":
			v.Waiting++
		default:
			v.Lost++
			v.problem("tour %s of payment %s is %s, refunded %d of %d", t.id, id, t.status, refunded[id], amount)
		}
	}
	return rows.Err()
}

func (c *Checker) checkCharges(ctx context.Context, v *Verdict) error {
	for _, q := range []string{
		"SELECT count(*) FROM (SELECT order_id FROM " + c.table("payment", "payments") + " WHERE status <> 'failed' GROUP BY order_id HAVING count(*) > 1) d",
		"SELECT count(*) FROM (SELECT payment_id FROM " + c.table("payment", "refunds") + " WHERE status = 'succeeded' GROUP BY payment_id HAVING count(*) > 1) d",
	} {
		var n int
		if err := c.db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return err
		}
		v.DuplicateCharges += n
	}
	return nil
}

func (c *Checker) checkDoubleBookings(ctx context.Context, v *Verdict) error {
	rows, err := c.db.QueryContext(ctx, "SELECT realtor_id, tour_id, starts_at, ends_at FROM "+c.table("appointment", "appointments")+
		" WHERE status IN ('scheduled', 'confirmed') ORDER BY realtor_id, starts_at")
	if err != nil {
		return err
	}
	defer rows.Close()
	type slot struct {
		tour       string
		start, end time.Time
	}
	byRealtor := map[string][]slot{}
	for rows.Next() {
		var realtor string
		var s slot
		if err := rows.Scan(&realtor, &s.tour, &s.start, &s.end); err != nil {
			return err
		}
		byRealtor[realtor] = append(byRealtor[realtor], s)
	}
	for realtor, slots := range byRealtor {
		for i := range slots {
			for j := i + 1; j < len(slots) && slots[j].start.Before(slots[i].end); j++ {
				v.DoubleBookings++
				v.problem("realtor %s booked for tours %s and %s at once", realtor, slots[i].tour, slots[j].tour)
			}
		}
	}
	return rows.Err()
}

func (c *Checker) checkNotifications(ctx context.Context, v *Verdict) error {
	// A reminder is one per offset (send_at); every other notice is one per
	// user, kind and tour in a run without reschedules.
	for _, q := range []string{
		"SELECT count(*) FROM (SELECT 1 FROM " + c.table("notification", "notifications") +
			" WHERE kind <> 'tour_reminder' GROUP BY user_id, kind, tour_id, channel HAVING count(*) > 1) d",
		"SELECT count(*) FROM (SELECT 1 FROM " + c.table("notification", "notifications") +
			" WHERE kind = 'tour_reminder' GROUP BY user_id, tour_id, channel, send_at HAVING count(*) > 1) d",
		"SELECT count(*) FROM (SELECT 1 FROM " + c.table("notification", "deliveries") +
			" GROUP BY notification_id, channel HAVING count(*) > 1) d",
	} {
		var n int
		if err := c.db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return err
		}
		v.DuplicateNotifications += n
	}
	return nil
}

// checkEvents compares every outbox with its stream, and reads the
// consumers' and the dead-letter stream's state.
func (c *Checker) checkEvents(ctx context.Context, v *Verdict) error {
	for _, s := range app.ServiceNames() {
		rows, err := c.db.QueryContext(ctx, "SELECT event_id, state FROM "+c.table(s, "outbox"))
		if err != nil {
			return err
		}
		published := map[string]bool{}
		for rows.Next() {
			var id, state string
			if err := rows.Scan(&id, &state); err != nil {
				rows.Close()
				return err
			}
			v.OutboxEvents++
			if state == "pending" {
				v.PendingEvents++
				v.problem("%s event %s still pending in the outbox", s, id)
			} else {
				published[id] = true
			}
		}
		rows.Close()
		if len(published) == 0 {
			continue
		}
		var inStream map[string]bool
		var dup int
		for attempt := 0; attempt < 5; attempt++ { // a JetStream API request may find no responder while a leader moves
			if inStream, dup, err = c.streamIDs(ctx, c.stream(s)); err == nil {
				break
			}
			time.Sleep(time.Second)
		}
		if err != nil {
			return fmt.Errorf("stream of %s: %w", s, err)
		}
		v.StreamEvents += len(inStream) + dup
		v.DuplicateStreamEvents += dup
		for id := range published {
			if !inStream[id] {
				v.MissingEvents++
				v.problem("%s event %s published but not in stream %s", s, id, c.stream(s))
			}
		}
	}
	var err error
	if v.Undelivered, err = c.undelivered(ctx); err != nil {
		return err
	}
	dlq := "DLQ"
	if c.ns != "" {
		dlq = strings.ToUpper(c.ns) + "_DLQ"
	}
	if s, err := c.js.Stream(ctx, dlq); err == nil {
		info, err := s.Info(ctx)
		if err != nil {
			return err
		}
		v.DeadLetters = int(info.State.Msgs)
	} else if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return err
	}
	return nil
}

// streamIDs reads the event id (Nats-Msg-Id) of every message in a stream,
// with how many ids were stored more than once.
func (c *Checker) streamIDs(ctx context.Context, stream string) (map[string]bool, int, error) {
	cons, err := c.js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return nil, 0, err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return nil, 0, err
	}
	want := int(info.NumPending)
	ids := map[string]bool{}
	dup, seen := 0, 0
	for seen < want {
		batch, err := cons.Fetch(min(500, want-seen), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return nil, 0, err
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			id := msg.Headers().Get(jetstream.MsgIDHeader)
			if ids[id] {
				dup++
			}
			ids[id] = true
		}
		if err := batch.Error(); err != nil {
			return nil, 0, err
		}
		if n == 0 {
			return nil, 0, fmt.Errorf("read %d of %d messages", seen, want)
		}
		seen += n
	}
	return ids, dup, nil
}

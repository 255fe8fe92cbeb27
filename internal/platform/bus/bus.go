package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	neturl "net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
)

// Config says which NATS to use and how streams are kept.
type Config struct {
	// URL of a NATS server or cluster (comma-separated). Empty starts an
	// embedded JetStream server in this process, storing under DataDir.
	URL string
	// DataDir holds the embedded server's file store (DataDir/nats).
	DataDir string
	// Replicas of every stream: 1 embedded, 3 on a 3-node cluster.
	Replicas int
	// DuplicateWindow is how long JetStream remembers event ids to drop a
	// re-published event (the outbox relay may publish a row twice).
	DuplicateWindow time.Duration
	// Namespace, when set, prefixes every stream and subject so that several
	// independent systems (or tests) can share one NATS server.
	Namespace string
	// Server, when set with an empty URL, is an embedded server started
	// elsewhere (StartEmbedded) that this connection shares; the Bus does not
	// stop it on Close.
	Server *server.Server
	// Name identifies this connection in the server's monitoring.
	Name string
	// TLSCA is a PEM file of the CA that signed the servers' certificates
	// (empty: the system's roots); TLSCert and TLSKey, when set, are this
	// client's certificate for servers that verify clients. Setting any of
	// them makes the connection require TLS.
	TLSCA, TLSCert, TLSKey string
	// Logger receives retries and dead letters. Defaults to slog.Default().
	Logger *slog.Logger
	// Metrics, when set, receives the bus's metrics (events published and
	// consumed, handler durations, consumer lag; see metrics.go). Nil
	// exports none.
	Metrics prometheus.Registerer
	// Tracer provides the producer and consumer spans. Nil uses the global
	// provider (a no-op unless the process set one).
	Tracer trace.TracerProvider
}

var namespacePattern = regexp.MustCompile(`^[a-z0-9_]*$`)

func (c *Config) setDefaults() {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = 2 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Name == "" {
		c.Name = "openhouse"
	}
	if c.Tracer == nil {
		c.Tracer = otel.GetTracerProvider()
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.URL == "" && c.DataDir == "" && c.Server == nil {
		return errors.New("bus: OPENHOUSE_DATA_DIR is required when OPENHOUSE_NATS_URL is empty")
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		return fmt.Errorf("bus: replicas must be 1 to 5, got %d", c.Replicas)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("bus: OPENHOUSE_NATS_TLS_CERT and OPENHOUSE_NATS_TLS_KEY go together")
	}
	if !namespacePattern.MatchString(c.Namespace) {
		return fmt.Errorf("bus: namespace %q may hold only a-z, 0-9 and _", c.Namespace)
	}
	return nil
}

// Bus is a connection to JetStream. It is safe for concurrent use.
type Bus struct {
	cfg          Config
	nc           *nats.Conn
	js           jetstream.JetStream
	embedded     *server.Server
	prefix       string // subject prefix, "" or "<namespace>."
	streamPrefix string // stream name prefix, "" or "<NAMESPACE>_"
	log          *slog.Logger
	metrics      *metrics
	tracer       trace.Tracer

	closed chan struct{} // closed by nats when the connection is closed

	mu        sync.Mutex
	streams   map[string]bool // streams known to exist
	consumers []*Consumer

	// handling is held shared by every handler in flight and every
	// dead-letter replay, and exclusively by PauseConsumers.
	handling sync.RWMutex
}

// Connect connects to the configured NATS, or starts the embedded server.
func Connect(ctx context.Context, cfg Config) (*Bus, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &Bus{cfg: cfg, log: cfg.Logger, streams: map[string]bool{}, closed: make(chan struct{})}
	b.metrics = newMetrics(cfg.Metrics, b)
	b.tracer = cfg.Tracer.Tracer("github.com/openhouse/openhouse/internal/platform/bus")
	if cfg.Namespace != "" {
		b.prefix = cfg.Namespace + "."
		b.streamPrefix = strings.ToUpper(cfg.Namespace) + "_"
	}
	opts := []nats.Option{
		nats.Name(cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				b.log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(b.closed) }),
		nats.ReconnectHandler(func(nc *nats.Conn) { b.log.Info("nats reconnected", "url", nc.ConnectedUrl()) }),
	}
	if cfg.TLSCA != "" {
		opts = append(opts, nats.RootCAs(cfg.TLSCA))
	}
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		opts = append(opts, nats.ClientCert(cfg.TLSCert, cfg.TLSKey))
	}
	url := cfg.URL
	switch {
	case url == "" && cfg.Server != nil:
		opts = append(opts, nats.InProcessServer(cfg.Server))
	case url == "":
		ns, err := StartEmbedded(filepath.Join(cfg.DataDir, "nats"))
		if err != nil {
			return nil, err
		}
		b.embedded = ns
		opts = append(opts, nats.InProcessServer(ns))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		b.shutdownEmbedded()
		return nil, fmt.Errorf("bus: connect to nats %q: %w", redacted(url), err)
	}
	b.nc = nc
	// An acknowledgement that never comes (a connection lost with the
	// publish in flight) fails the publish after publishAckWait instead of
	// leaving PublishEncoded's Ack waiting for ever.
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(publishAckWait))
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("bus: jetstream: %w", err)
	}
	b.js = js
	if _, err := js.AccountInfo(ctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("bus: jetstream not available on %q: %w", redacted(url), err)
	}
	for _, s := range []struct{ name, subject string }{
		{b.deadLetterStream(), b.prefix + "dlq.>"},
		{b.replayStream(), b.prefix + "replay.>"},
	} {
		if err := b.createStream(ctx, s.name, []string{s.subject}); err != nil {
			b.Close()
			return nil, err
		}
	}
	return b, nil
}

// StartEmbedded runs a JetStream server inside this process that accepts
// only in-process connections, storing under storeDir.
func StartEmbedded(storeDir string) (*server.Server, error) {
	ns, err := server.NewServer(&server.Options{
		ServerName: "openhouse-embedded",
		JetStream:  true,
		StoreDir:   storeDir,
		DontListen: true,
		NoSigs:     true,
		NoLog:      true,
	})
	if err != nil {
		return nil, fmt.Errorf("bus: embedded nats: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("bus: embedded nats did not start within 10s")
	}
	return ns, nil
}

// EnsureStream creates (or updates to this code's settings) the stream of a
// publishing service. Publish and Subscribe call it; it is cheap after the
// first call.
func (b *Bus) EnsureStream(ctx context.Context, service string) error {
	name := b.streamOf(service)
	b.mu.Lock()
	known := b.streams[name]
	b.mu.Unlock()
	if known {
		return nil
	}
	return b.createStream(ctx, name, b.streamSubjects(service))
}

func (b *Bus) createStream(ctx context.Context, name string, subjects []string) error {
	_, err := b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       name,
		Subjects:   subjects,
		Storage:    jetstream.FileStorage,
		Replicas:   b.cfg.Replicas,
		Retention:  jetstream.LimitsPolicy,
		Duplicates: b.cfg.DuplicateWindow,
	})
	if err != nil {
		return fmt.Errorf("bus: stream %s: %w", name, err)
	}
	b.mu.Lock()
	b.streams[name] = true
	b.mu.Unlock()
	return nil
}

// Publish stores ev in its service's stream and returns once JetStream has
// acknowledged it. The event id is the Nats-Msg-Id, so publishing the same
// event again within the duplicate window stores it once.
func (b *Bus) Publish(ctx context.Context, ev Event) error {
	service, err := ServiceOf(ev.Type())
	if err != nil {
		return err
	}
	if err := b.EnsureStream(ctx, service); err != nil {
		return err
	}
	data, err := Encode(ev)
	if err != nil {
		return fmt.Errorf("bus: encode %s: %w", ev.ID(), err)
	}
	msg := &nats.Msg{Subject: b.subjectOf(ev.Type()), Data: data, Header: nats.Header{}}
	msg.Header.Set("Content-Type", "application/cloudevents+json")
	if _, err := b.js.PublishMsg(ctx, msg, jetstream.WithMsgID(ev.ID())); err != nil {
		return fmt.Errorf("bus: publish %s %s: %w", ev.Type(), ev.ID(), err)
	}
	b.metrics.published.WithLabelValues(service, ev.Type()).Inc()
	return nil
}

// publishAckWait is how long PublishEncoded waits for JetStream's
// acknowledgement before it counts the publish as failed.
const publishAckWait = 10 * time.Second

// Ack is JetStream's answer to one event handed to it by PublishEncoded.
type Ack interface {
	// Wait returns nil once the event is stored, or why it was not
	// (refused, or no acknowledgement within 10 s, or ctx ended). An event
	// that was not acknowledged may have been stored anyway: publishing it
	// again within the duplicate window stores it once. Wait may be called
	// again (it returns the same answer) but not concurrently.
	Wait(ctx context.Context) error
}

// PublishEncoded hands an event in its wire form (what Encode returned, as
// the outbox stores it) to JetStream and returns without waiting for the
// acknowledgement, so that several events are in flight at once: the outbox
// relay publishes a batch in one round trip instead of one per event. The
// event id is the Nats-Msg-Id, as with Publish. Events published by one Bus
// are stored in the order they were handed over unless one of them fails
// (a publish that finds no stream leader is retried after a pause, behind
// later ones): a caller that needs two events in order waits for the first
// one's Ack before publishing the second.
func (b *Bus) PublishEncoded(ctx context.Context, id, typ string, data []byte) (Ack, error) {
	service, err := ServiceOf(typ)
	if err != nil {
		return nil, err
	}
	if err := b.EnsureStream(ctx, service); err != nil {
		return nil, err
	}
	msg := &nats.Msg{Subject: b.subjectOf(typ), Data: data, Header: nats.Header{}}
	msg.Header.Set("Content-Type", "application/cloudevents+json")
	f, err := b.js.PublishMsgAsync(msg, jetstream.WithMsgID(id))
	if err != nil {
		return nil, fmt.Errorf("bus: publish %s %s: %w", typ, id, err)
	}
	return &pubAck{b: b, f: f, id: id, typ: typ, service: service}, nil
}

// pubAck waits for one PublishMsgAsync future.
type pubAck struct {
	b                *Bus
	f                jetstream.PubAckFuture
	id, typ, service string
	answered         bool
	err              error
}

func (a *pubAck) Wait(ctx context.Context) error {
	if a.answered {
		return a.err
	}
	select {
	case <-a.f.Ok():
		a.b.metrics.published.WithLabelValues(a.service, a.typ).Inc()
	case err := <-a.f.Err():
		a.err = fmt.Errorf("bus: publish %s %s: %w", a.typ, a.id, err)
	case <-ctx.Done():
		return fmt.Errorf("bus: publish %s %s: %w", a.typ, a.id, ctx.Err())
	}
	a.answered = true
	return a.err
}

// Ping reports whether the NATS connection is up, for readiness checks.
func (b *Bus) Ping(ctx context.Context) error {
	if b.nc == nil || !b.nc.IsConnected() {
		return errors.New("nats: not connected")
	}
	_, err := b.js.AccountInfo(ctx)
	return err
}

// StopConsumers stops every consumer of this Bus and waits for the handlers
// in flight; publishing still works afterwards, so a shutdown can stop
// taking events, then flush its outboxes, then Close.
func (b *Bus) StopConsumers() {
	b.mu.Lock()
	consumers := b.consumers
	b.consumers = nil
	b.mu.Unlock()
	for _, c := range consumers {
		c.Stop()
	}
}

// Close stops every consumer (letting handlers in flight finish), drains the
// connection and stops the embedded server it started.
func (b *Bus) Close() {
	b.StopConsumers()
	if b.nc != nil {
		if err := b.nc.Drain(); err != nil {
			b.nc.Close()
		}
		<-b.closed // Drain closes the connection when done, or after its timeout
	}
	b.shutdownEmbedded()
}

func (b *Bus) shutdownEmbedded() {
	if b.embedded != nil {
		b.embedded.Shutdown()
		b.embedded.WaitForShutdown()
		b.embedded = nil
	}
}

// DeleteNamespace deletes every stream of this Bus's namespace. Tests call it
// to leave a shared server as they found it; it refuses the empty namespace.
func (b *Bus) DeleteNamespace(ctx context.Context) error {
	if b.streamPrefix == "" {
		return errors.New("bus: refusing to delete the streams of the empty namespace")
	}
	names := b.js.StreamNames(ctx)
	var toDelete []string
	for name := range names.Name() {
		if strings.HasPrefix(name, b.streamPrefix) {
			toDelete = append(toDelete, name)
		}
	}
	if err := names.Err(); err != nil {
		return err
	}
	for _, name := range toDelete {
		if err := b.js.DeleteStream(ctx, name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			return err
		}
	}
	return nil
}

// StreamMessages reports how many messages a publishing service's stream
// holds, for checks that read the bus itself rather than counters.
func (b *Bus) StreamMessages(ctx context.Context, service string) (uint64, error) {
	s, err := b.js.Stream(ctx, b.streamOf(service))
	if err != nil {
		return 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.Msgs, nil
}

// redacted is a server URL list fit for an error message: the passwords of
// per-service NATS users are replaced by "xxxxx".
func redacted(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if u, err := neturl.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			parts[i] = u.Redacted()
		}
	}
	return strings.Join(parts, ",")
}

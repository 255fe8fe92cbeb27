package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The files of one stream's snapshot, as `nats stream backup` lays them out
// (so its `nats stream restore` reads ours, and RestoreStreams reads its).
const (
	snapshotMetaFile = "backup.json"   // the stream's config and state
	snapshotDataFile = "stream.arc.s2" // the server's archive: messages and consumers
)

// StreamBackup is one stream as SnapshotStreams copied it.
type StreamBackup struct {
	Name      string             `json:"name"`
	Messages  uint64             `json:"messages"`
	FirstSeq  uint64             `json:"first_seq"`
	LastSeq   uint64             `json:"last_seq"`
	Consumers []ConsumerPosition `json:"consumers,omitempty"`
}

// ConsumerPosition is where a durable consumer stood: the last stream
// sequence delivered to it, the one below which everything is
// acknowledged, and how many were still to deliver or to acknowledge.
type ConsumerPosition struct {
	Name       string `json:"name"`
	Delivered  uint64 `json:"delivered_seq"`
	AckFloor   uint64 `json:"ack_floor_seq"`
	Pending    uint64 `json:"pending"`
	AckPending int    `json:"ack_pending"`
}

// PauseConsumers keeps every consumer of this Bus from starting a handler,
// and dead-letter replays from running, until resume is called; it returns
// once the handlers in flight have finished (their transactions committed
// and their acks sent). Deliveries wait in their lanes meanwhile. Then no
// consumer's database or position moves: a backup copies both in that
// window. resume may be called more than once.
func (b *Bus) PauseConsumers(ctx context.Context) (resume func(), err error) {
	locked := make(chan struct{})
	go func() {
		b.handling.Lock()
		close(locked)
	}()
	select {
	case <-locked:
		return sync.OnceFunc(b.handling.Unlock), nil
	case <-ctx.Done():
		go func() {
			<-locked
			b.handling.Unlock()
		}()
		return nil, fmt.Errorf("bus: pause consumers: %w", ctx.Err())
	}
}

// SnapshotStreams copies every stream of this Bus's namespace, with its
// consumers' positions, under dir/<stream>/ through JetStream's snapshot
// API (never the live files). A stream's copy holds the messages stored
// when its snapshot began. For the copies to agree with the services'
// databases, the relays and consumers must be paused meanwhile (see
// internal/app's backup and docs/operations.md).
func (b *Bus) SnapshotStreams(ctx context.Context, dir string) ([]StreamBackup, error) {
	names := b.js.StreamNames(ctx)
	var streams []string
	for name := range names.Name() {
		if strings.HasPrefix(name, b.streamPrefix) {
			streams = append(streams, name)
		}
	}
	if err := names.Err(); err != nil {
		return nil, fmt.Errorf("bus: list streams: %w", err)
	}
	slices.Sort(streams)
	out := make([]StreamBackup, 0, len(streams))
	for _, name := range streams {
		positions, err := consumerPositions(ctx, b.js, name)
		if err != nil {
			return nil, err
		}
		sb, err := b.snapshotStream(ctx, name, filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		sb.Consumers = positions
		out = append(out, sb)
	}
	return out, nil
}

// snapshotStream receives one stream's snapshot into dir: the request, then
// chunks on an inbox, each acknowledged (the server sends only so much
// ahead of the acknowledgements), then an empty message whose status says
// whether the snapshot completed.
func (b *Bus) snapshotStream(ctx context.Context, name, dir string) (StreamBackup, error) {
	fail := func(err error) (StreamBackup, error) {
		return StreamBackup{}, fmt.Errorf("bus: snapshot stream %s: %w", name, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(err)
	}
	data, err := os.OpenFile(filepath.Join(dir, snapshotDataFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fail(err)
	}
	defer data.Close()
	inbox := b.nc.NewInbox()
	sub, err := b.nc.SubscribeSync(inbox)
	if err != nil {
		return fail(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		return fail(err)
	}
	req, err := json.Marshal(server.JSApiStreamSnapshotRequest{DeliverSubject: inbox})
	if err != nil {
		return fail(err)
	}
	var resp server.JSApiStreamSnapshotResponse
	if err := b.apiRequest(ctx, fmt.Sprintf(server.JSApiStreamSnapshotT, name), req, &resp, &resp.ApiResponse); err != nil {
		return fail(err)
	}
	if resp.Config == nil || resp.State == nil {
		return fail(errors.New("the server answered without the stream's config and state"))
	}
	for {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return fail(err)
		}
		if len(m.Data) == 0 { // the end; nats.go puts its status line in these headers
			if status := m.Header.Get("Status"); status != "" && status != "204" {
				return fail(fmt.Errorf("the server ended it with %s %s", status, m.Header.Get("Description")))
			}
			break
		}
		if m.Reply != "" {
			if err := m.Respond(nil); err != nil {
				return fail(err)
			}
		}
		if _, err := data.Write(m.Data); err != nil {
			return fail(err)
		}
	}
	if err := data.Close(); err != nil {
		return fail(err)
	}
	meta, err := json.MarshalIndent(server.JSApiStreamRestoreRequest{Config: *resp.Config, State: *resp.State}, "", "  ")
	if err != nil {
		return fail(err)
	}
	if err := os.WriteFile(filepath.Join(dir, snapshotMetaFile), meta, 0o600); err != nil {
		return fail(err)
	}
	return StreamBackup{Name: name, Messages: resp.State.Msgs, FirstSeq: resp.State.FirstSeq, LastSeq: resp.State.LastSeq}, nil
}

// apiRequest sends a JetStream API request and decodes the answer, failing
// with the server's error when it gives one.
func apiRequest(ctx context.Context, nc *nats.Conn, subject string, req []byte, resp any, status *server.ApiResponse) error {
	msg, err := nc.RequestWithContext(ctx, subject, req)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(msg.Data, resp); err != nil {
		return fmt.Errorf("decode the answer to %s: %w", subject, err)
	}
	if status.Error != nil {
		return status.Error
	}
	return nil
}

func (b *Bus) apiRequest(ctx context.Context, subject string, req []byte, resp any, status *server.ApiResponse) error {
	return apiRequest(ctx, b.nc, subject, req, resp, status)
}

// consumerPositions lists the durable consumers of a stream and where they
// stand.
func consumerPositions(ctx context.Context, js jetstream.JetStream, stream string) ([]ConsumerPosition, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("bus: stream %s: %w", stream, err)
	}
	var out []ConsumerPosition
	list := s.ListConsumers(ctx)
	for info := range list.Info() {
		if info.Config.Durable == "" {
			continue
		}
		out = append(out, ConsumerPosition{Name: info.Name, Delivered: info.Delivered.Stream, AckFloor: info.AckFloor.Stream,
			Pending: info.NumPending, AckPending: info.NumAckPending})
	}
	if err := list.Err(); err != nil {
		return nil, fmt.Errorf("bus: consumers of %s: %w", stream, err)
	}
	slices.SortFunc(out, func(a, b ConsumerPosition) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// RestoreStreams restores into a JetStream store at storeDir, which must
// hold no stream yet, every stream that SnapshotStreams (or `nats stream
// backup`) wrote under dir, using an embedded server of its own that it
// stops again.
//
// Each durable consumer is then reset to its acknowledgement floor: the
// events it had received but not acknowledged when the backup was taken,
// and those acknowledged out of order above the floor, are delivered again
// as soon as the system starts, instead of after their ack wait; the
// consumers' inboxes drop the ones already applied. Other consumers (the
// ordered ones of processes that are gone) are deleted. The server writes a
// consumer's state to disk in the background as well, and a write begun
// before a reset can land after it (seen about once in 25 restores), so
// the resets are checked on a fresh start of the server, and redone until
// they hold.
func RestoreStreams(ctx context.Context, storeDir, dir string) ([]StreamBackup, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("bus: restore: %w", err)
	}
	var streams []string
	err = withServer(storeDir, func(nc *nats.Conn, js jetstream.JetStream) error {
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			info, err := restoreStream(ctx, nc, filepath.Join(dir, e.Name()))
			if err != nil {
				return err
			}
			streams = append(streams, info.Config.Name)
			if err := deleteOtherConsumers(ctx, js, info.Config.Name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	const rounds = 5
	for round := 1; round <= rounds; round++ {
		var out []StreamBackup
		reset := 0
		err := withServer(storeDir, func(_ *nats.Conn, js jetstream.JetStream) error {
			for _, name := range streams {
				s, err := js.Stream(ctx, name)
				if err != nil {
					return fmt.Errorf("bus: restored stream %s: %w", name, err)
				}
				positions, err := consumerPositions(ctx, js, name)
				if err != nil {
					return err
				}
				for _, p := range positions {
					if p.Delivered == p.AckFloor && p.AckPending == 0 {
						continue // at its floor, as the last start found it on disk
					}
					if _, err := js.ResetConsumer(ctx, name, p.Name); err != nil {
						return fmt.Errorf("bus: reset consumer %s on %s: %w", p.Name, name, err)
					}
					reset++
				}
				st := s.CachedInfo().State
				out = append(out, StreamBackup{Name: name, Messages: st.Msgs, FirstSeq: st.FirstSeq, LastSeq: st.LastSeq, Consumers: positions})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if reset == 0 {
			return out, nil
		}
	}
	return nil, fmt.Errorf("bus: restore: the consumers' resets did not hold after %d starts", rounds)
}

// withServer runs fn against an embedded server on storeDir, then stops
// the server (which writes its state to disk).
func withServer(storeDir string, fn func(*nats.Conn, jetstream.JetStream) error) error {
	ns, err := StartEmbedded(storeDir)
	if err != nil {
		return err
	}
	defer func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	}()
	nc, err := nats.Connect("", nats.InProcessServer(ns), nats.Name("openhouse-restore"))
	if err != nil {
		return fmt.Errorf("bus: restore: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("bus: restore: %w", err)
	}
	return fn(nc, js)
}

// restoreChunk is the size of the pieces a snapshot is sent back in.
const restoreChunk = 64 * 1024

// restoreStream sends one stream's snapshot to the server: the request with
// the stream's config and state, then the archive in chunks, each answered
// (an answer with a body is the server's error), then an empty message,
// answered with the restored stream.
func restoreStream(ctx context.Context, nc *nats.Conn, dir string) (*server.StreamInfo, error) {
	meta, err := os.ReadFile(filepath.Join(dir, snapshotMetaFile))
	if err != nil {
		return nil, fmt.Errorf("bus: restore: %w", err)
	}
	var req server.JSApiStreamRestoreRequest
	if err := json.Unmarshal(meta, &req); err != nil {
		return nil, fmt.Errorf("bus: restore %s: %w", dir, err)
	}
	name := req.Config.Name
	fail := func(err error) (*server.StreamInfo, error) {
		return nil, fmt.Errorf("bus: restore stream %s: %w", name, err)
	}
	if name == "" || name != filepath.Base(dir) {
		return fail(fmt.Errorf("%s holds the backup of stream %q", dir, name))
	}
	data, err := os.Open(filepath.Join(dir, snapshotDataFile))
	if err != nil {
		return fail(err)
	}
	defer data.Close()
	var resp server.JSApiStreamRestoreResponse
	if err := apiRequest(ctx, nc, fmt.Sprintf(server.JSApiStreamRestoreT, name), meta, &resp, &resp.ApiResponse); err != nil {
		return fail(err)
	}
	chunk := make([]byte, restoreChunk)
	for {
		n, readErr := io.ReadFull(data, chunk)
		if n > 0 {
			ack, err := nc.RequestWithContext(ctx, resp.DeliverSubject, chunk[:n])
			if err != nil {
				return fail(err)
			}
			if len(ack.Data) > 0 {
				var refused server.ApiResponse
				if json.Unmarshal(ack.Data, &refused) == nil && refused.Error != nil {
					return fail(refused.Error)
				}
				return fail(fmt.Errorf("the server answered a chunk with %q", ack.Data))
			}
		}
		if errors.Is(readErr, io.EOF) || errors.Is(readErr, io.ErrUnexpectedEOF) {
			break
		}
		if readErr != nil {
			return fail(readErr)
		}
	}
	var created server.JSApiStreamCreateResponse
	if err := apiRequest(ctx, nc, resp.DeliverSubject, nil, &created, &created.ApiResponse); err != nil {
		return fail(err)
	}
	if created.StreamInfo == nil {
		return fail(errors.New("the server answered the end of the restore without the stream"))
	}
	return created.StreamInfo, nil
}

// deleteOtherConsumers deletes the consumers of a restored stream that are
// not durable (see RestoreStreams).
func deleteOtherConsumers(ctx context.Context, js jetstream.JetStream, stream string) error {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("bus: stream %s: %w", stream, err)
	}
	var other []string
	list := s.ListConsumers(ctx)
	for info := range list.Info() {
		if info.Config.Durable == "" {
			other = append(other, info.Name)
		}
	}
	if err := list.Err(); err != nil {
		return fmt.Errorf("bus: consumers of %s: %w", stream, err)
	}
	for _, name := range other {
		if err := js.DeleteConsumer(ctx, stream, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return fmt.Errorf("bus: delete consumer %s on %s: %w", name, stream, err)
		}
	}
	return nil
}

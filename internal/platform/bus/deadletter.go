package bus

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Headers of a dead-lettered message.
const (
	hdrConsumer = "Openhouse-Consumer"
	hdrStream   = "Openhouse-Stream"
	hdrSubject  = "Openhouse-Subject"
	hdrAttempts = "Openhouse-Attempts"
	hdrError    = "Openhouse-Error"
)

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9]*$`)

// ErrDeadLetterNotFound is returned by Replay for an unknown sequence.
var ErrDeadLetterNotFound = errors.New("dead letter not found")

// DeadLetter is an event that a consumer gave up on.
type DeadLetter struct {
	Seq      uint64    `json:"seq"`
	Consumer string    `json:"consumer"`
	Stream   string    `json:"stream"`
	Subject  string    `json:"subject"` // where the event was first published
	Attempts int       `json:"attempts"`
	Error    string    `json:"error"`
	At       time.Time `json:"dead_lettered_at"`
	EventID  string    `json:"event_id,omitempty"`
	Type     string    `json:"type,omitempty"`
	Data     []byte    `json:"-"`
}

// DeadLetters lists the dead letters in stream order, at most limit of them
// starting after the sequence after.
func (b *Bus) DeadLetters(ctx context.Context, after uint64, limit int) ([]DeadLetter, error) {
	stream, err := b.js.Stream(ctx, b.deadLetterStream())
	if err != nil {
		return nil, fmt.Errorf("bus: dead letters: %w", err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("bus: dead letters: %w", err)
	}
	var out []DeadLetter
	for seq := max(after+1, info.State.FirstSeq); seq <= info.State.LastSeq && len(out) < limit; seq++ {
		raw, err := stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // replayed and deleted
		}
		if err != nil {
			return nil, fmt.Errorf("bus: dead letter %d: %w", seq, err)
		}
		out = append(out, deadLetterOf(raw))
	}
	return out, nil
}

func deadLetterOf(raw *jetstream.RawStreamMsg) DeadLetter {
	attempts, _ := strconv.Atoi(raw.Header.Get(hdrAttempts))
	dl := DeadLetter{
		Seq:      raw.Sequence,
		Consumer: raw.Header.Get(hdrConsumer),
		Stream:   raw.Header.Get(hdrStream),
		Subject:  raw.Header.Get(hdrSubject),
		Attempts: attempts,
		Error:    raw.Header.Get(hdrError),
		At:       raw.Time,
		Data:     raw.Data,
	}
	if ev, err := Decode(raw.Data); err == nil {
		dl.EventID, dl.Type = ev.ID(), ev.Type()
	}
	return dl
}

// Replay sends a dead letter back to the consumer that gave up on it (and
// only to that consumer), then removes it from the dead-letter stream. A
// replay that is interrupted can be repeated: the replay id is deduplicated
// by JetStream, and consumers apply an event once through their inbox.
func (b *Bus) Replay(ctx context.Context, seq uint64) error {
	b.handling.RLock() // a replay moves streams: it waits while the consumers are paused
	defer b.handling.RUnlock()
	stream, err := b.js.Stream(ctx, b.deadLetterStream())
	if err != nil {
		return fmt.Errorf("bus: replay: %w", err)
	}
	raw, err := stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return ErrDeadLetterNotFound
	}
	if err != nil {
		return fmt.Errorf("bus: replay %d: %w", seq, err)
	}
	dl := deadLetterOf(raw)
	msg := &nats.Msg{Subject: b.replaySubject(dl.Consumer, dl.Stream), Data: raw.Data, Header: nats.Header{}}
	msg.Header.Set("Content-Type", "application/cloudevents+json")
	// The consumer authenticates a replayed event by the subject it was
	// first published on.
	msg.Header.Set(hdrSubject, dl.Subject)
	if _, err := b.js.PublishMsg(ctx, msg, jetstream.WithMsgID("replay:"+strconv.FormatUint(seq, 10))); err != nil {
		return fmt.Errorf("bus: replay %d: %w", seq, err)
	}
	if err := stream.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("bus: replay %d: remove dead letter: %w", seq, err)
	}
	return nil
}

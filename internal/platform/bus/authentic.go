package bus

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrForged marks an event whose envelope does not match where it came
// from; consumers dead-letter it without calling a handler.
var ErrForged = errors.New("event is not from the service its type belongs to")

// authenticate checks that an event was published by the service that owns
// its type. Every event type names its service (openhouse.payment.*), and a
// service publishes only on its own subjects (events.payment.>). In the
// distributed mode NATS enforces that second half: each service connects as
// its own NATS user whose publish permission covers its own subjects only
// (docs/security.md). So an event is authentic when its type, its source and
// the subject it was first published on all name the same service; a
// service that puts another's type or source on its subject, or a client
// that publishes outside its permission, is caught here or by NATS.
//
// A replayed event arrives on the replay subject; its original subject is
// the one the dead letter recorded.
func (b *Bus) authenticate(ev Event, msg jetstream.Msg) error {
	service, err := ServiceOf(ev.Type())
	if err != nil {
		return fmt.Errorf("%w: %v", ErrForged, err)
	}
	if want := Source(service); ev.Source() != want {
		return fmt.Errorf("%w: %s has source %q, want %q", ErrForged, ev.Type(), ev.Source(), want)
	}
	if origin, want := b.originOf(msg), b.subjectOf(ev.Type()); origin != want {
		return fmt.Errorf("%w: %s published on %q, want %q", ErrForged, ev.Type(), origin, want)
	}
	return nil
}

// originOf is the subject a delivered message was first published on.
func (b *Bus) originOf(msg jetstream.Msg) string {
	if strings.HasPrefix(msg.Subject(), b.prefix+"replay.") {
		return msg.Headers().Get(hdrSubject)
	}
	return msg.Subject()
}

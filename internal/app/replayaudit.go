package app

import (
	"context"
	"strconv"

	"github.com/openhouse/openhouse/internal/platform/audit"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// adminAuditor records admin actions that change nothing in a service's
// own database in the audit log: iam does (iam.Service.RecordAdminAction).
// The dead-letter replay is such an action: it is a message on the bus, and
// the app that serves it has no database of its own, so it is recorded
// through iam, which the gateway sends /admin to. A process without iam has
// no auditor and refuses replays (503) rather than replay unrecorded.
type adminAuditor interface {
	RecordAdminAction(ctx context.Context, c audit.Change) error
}

// auditor is the running iam service, or nil when this process runs none.
func (a *App) auditor() adminAuditor {
	for _, p := range a.parts {
		if aa, ok := p.(adminAuditor); ok {
			return aa
		}
	}
	return nil
}

// deadLetterAt is the dead letter with sequence seq, for the audit entry of
// its replay; bus.ErrDeadLetterNotFound if there is none.
func deadLetterAt(ctx context.Context, b *bus.Bus, seq uint64) (bus.DeadLetter, error) {
	list, err := b.DeadLetters(ctx, seq-1, 1)
	if err != nil {
		return bus.DeadLetter{}, err
	}
	if len(list) == 0 || list[0].Seq != seq {
		return bus.DeadLetter{}, bus.ErrDeadLetterNotFound
	}
	return list[0], nil
}

// deadLetterState is the before and after of a replay: where the event
// was, which event and consumer, and why it had been given up on.
type deadLetterState struct {
	State    string `json:"state"` // dead_lettered, then replayed
	EventID  string `json:"event_id,omitempty"`
	Type     string `json:"type,omitempty"`
	Consumer string `json:"consumer"`
	Stream   string `json:"stream"`
	Attempts int    `json:"attempts,omitempty"`
	Error    string `json:"error,omitempty"`
}

// replayChange is the audit entry of replaying dl to its consumer.
func replayChange(dl bus.DeadLetter) audit.Change {
	before := deadLetterState{State: "dead_lettered", EventID: dl.EventID, Type: dl.Type,
		Consumer: dl.Consumer, Stream: dl.Stream, Attempts: dl.Attempts, Error: dl.Error}
	after := deadLetterState{State: "replayed", EventID: dl.EventID, Type: dl.Type, Consumer: dl.Consumer, Stream: dl.Stream}
	return audit.Change{Action: "dead_letter.replayed", ResourceType: "dead_letter",
		ResourceID: strconv.FormatUint(dl.Seq, 10), Before: before, After: after}
}

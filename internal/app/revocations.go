package app

import (
	"context"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// revocationReplayTimeout bounds how long a starting process waits to learn
// the revocations in force before it gives up starting.
const revocationReplayTimeout = 30 * time.Second

// revocationEvents are what every process watches (see watchRevocations):
// status changes, then session ends. The AsyncAPI document names every
// process as their consumer from this list.
var revocationEvents = []string{events.TypeUserStatusChanged, events.TypeSessionRevoked}

// watchRevocations keeps r, this process's verifier's memory of ended
// tokens, current from iam's stream until stop is called. It returns once r
// holds every revocation still in force, so the process refuses those
// tokens from its first request (a process that starts late, or restarts,
// learns what it missed).
//
// How it catches up: it replays iam's stream rather than asking iam over
// HTTP. The stream is where the revocations are announced anyway, in
// order, so there is no gap and no ordering question between a snapshot and
// the live events; it works alike in one process and in many, and a process
// depends at start only on the bus it needs in any case, not on iam being
// up. What it replays is bounded by time where the state is:
//   - status changes from the stream's first event: a suspension lasts
//     until the reactivation, however old (there are as many as admins
//     suspended and reactivated accounts, few);
//   - session ends from MaxTTL + MaxMaxSkew ago (by the NATS server's
//     clock): an older one voids only tokens that have expired, and sign-outs
//     are many, so a full replay would grow with the stream's history.
func watchRevocations(ctx context.Context, b *bus.Bus, r *auth.Revocations, now time.Time) (stop func(), err error) {
	ctx, cancel := context.WithTimeout(ctx, revocationReplayTimeout)
	defer cancel()
	stopUsers, err := b.WatchSince(ctx, "iam", revocationEvents[:1], time.Time{}, func(ev bus.Event) {
		var e events.UserStatusChanged
		if err := ev.DataAs(&e); err != nil {
			return
		}
		validFrom := e.TokensValidFrom
		if validFrom.IsZero() { // published before the field existed
			validFrom = e.At
		}
		r.SetUser(e.UserID, e.Status == "suspended", validFrom)
	})
	if err != nil {
		return nil, fmt.Errorf("learn suspensions: %w", err)
	}
	since := now.Add(-(auth.MaxTTL + auth.MaxMaxSkew))
	stopSessions, err := b.WatchSince(ctx, "iam", revocationEvents[1:], since, func(ev bus.Event) {
		var e events.SessionRevoked
		if err := ev.DataAs(&e); err != nil {
			return
		}
		r.EndSession(e.SessionID, e.At)
	})
	if err != nil {
		stopUsers()
		return nil, fmt.Errorf("learn sessions signed out: %w", err)
	}
	return func() {
		stopSessions()
		stopUsers()
	}, nil
}

package cluster

import (
	"strings"

	"github.com/openhouse/openhouse/internal/app"
)

// Permissions are what one NATS user may publish and subscribe to. The
// server applies PublishDeny after Publish: a subject matching both is
// refused.
type Permissions struct {
	Publish     []string
	PublishDeny []string
	Subscribe   []string
}

// ServicePermissions is the NATS authorization of one service's user in
// namespace ns (OPENHOUSE_NAMESPACE, "" for none): it may publish its own
// events and nothing another service publishes, so a compromised cart
// process cannot forge payment.succeeded. Beside its events it needs:
//   - dlq.<service>.> : its consumers dead-letter what they give up on;
//   - replay.<service>.> : re-sending its own dead letters (iam, which the
//     gateway sends the admin endpoints to, may replay to any consumer);
//   - $JS.API.> : stream and consumer management, fetching, info;
//   - $JS.ACK.> : acknowledging deliveries;
//   - subscribe _INBOX.> : replies to its requests (publish acks, fetched
//     batches); it subscribes to nothing else, since JetStream pull
//     consumers deliver to inboxes.
//
// Of the JetStream API it may not destroy history: deleting or purging a
// stream (no service does; the operator's admin user can), nor deleting a
// message, except iam removing a dead letter it has replayed. So a
// compromised service cannot erase the events other services rebuild
// from.
//
// What it does not stop: the JetStream API is otherwise shared, so a
// service's user can still read any stream, change a stream's settings or
// another service's consumer; separate NATS accounts with exported streams
// would close that at the cost of per-account JetStream limits and
// imports (see docs/distributed.md).
func ServicePermissions(service, ns string) Permissions {
	p, streams := "", ""
	if ns != "" {
		p, streams = ns+".", strings.ToUpper(ns)+"_"
	}
	replay := p + "replay." + service + ".>"
	if service == "iam" {
		replay = p + "replay.>"
	}
	deny := []string{"$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.PURGE.>"}
	if service == "iam" {
		// Only the dead-letter stream's messages: NATS has no "all but",
		// so every other stream of the namespace is named.
		for _, s := range append(app.ServiceNames(), "replay") {
			deny = append(deny, "$JS.API.STREAM.MSG.DELETE."+streams+strings.ToUpper(s))
		}
	} else {
		deny = append(deny, "$JS.API.STREAM.MSG.DELETE.>")
	}
	return Permissions{
		Publish:     []string{p + "events." + service + ".>", p + "dlq." + service + ".>", replay, "$JS.API.>", "$JS.ACK.>"},
		PublishDeny: deny,
		Subscribe:   []string{"_INBOX.>"},
	}
}

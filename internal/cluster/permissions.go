package cluster

// Permissions are what one NATS user may publish and subscribe to.
type Permissions struct {
	Publish   []string
	Subscribe []string
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
// What it does not stop: the JetStream API is shared, so a service's user
// can still manage (or delete) any stream; separate NATS accounts with
// exported streams would close that at the cost of per-account
// JetStream limits and imports (see docs/distributed.md).
func ServicePermissions(service, ns string) Permissions {
	p := ""
	if ns != "" {
		p = ns + "."
	}
	replay := p + "replay." + service + ".>"
	if service == "iam" {
		replay = p + "replay.>"
	}
	return Permissions{
		Publish:   []string{p + "events." + service + ".>", p + "dlq." + service + ".>", replay, "$JS.API.>", "$JS.ACK.>"},
		Subscribe: []string{"_INBOX.>"},
	}
}

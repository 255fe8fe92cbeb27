package bus

import "strings"

// The names below are API: renaming a stream or a durable consumer makes
// JetStream start it afresh and replay (or lose) history.

// subjectOf is the NATS subject of an event type:
// openhouse.tour.created.v1 -> events.tour.created.v1.
func (b *Bus) subjectOf(typ string) string {
	return b.prefix + Subject(typ)
}

// Subject is the NATS subject of an event type without a namespace:
// openhouse.tour.tour.created.v1 -> events.tour.tour.created.v1.
func Subject(typ string) string {
	return "events." + strings.TrimPrefix(typ, "openhouse.")
}

// streamOf is the stream that holds everything a service publishes.
func (b *Bus) streamOf(service string) string {
	return b.streamPrefix + strings.ToUpper(service)
}

// streamSubjects are the subjects a service's stream captures.
func (b *Bus) streamSubjects(service string) []string {
	return []string{b.prefix + "events." + service + ".>"}
}

func (b *Bus) deadLetterStream() string { return b.streamPrefix + "DLQ" }
func (b *Bus) replayStream() string     { return b.streamPrefix + "REPLAY" }

func (b *Bus) deadLetterSubject(consumer, stream string) string {
	return b.prefix + "dlq." + consumer + "." + stream
}

func (b *Bus) replaySubject(consumer, stream string) string {
	return b.prefix + "replay." + consumer + "." + stream
}

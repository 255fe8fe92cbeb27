package apidoc

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Event is one event type for the AsyncAPI document: who publishes it on
// which NATS subject, its data's Go type, and who consumes it.
type Event struct {
	// Type is the CloudEvents type, openhouse.<service>.<what>.v<N>.
	Type    string
	Summary string
	// Service publishes it; Subject is its NATS subject (JetStream stream
	// <SERVICE>).
	Service, Subject string
	Data             any
	// Consumers are the services that receive it: durable consumers named
	// after themselves, or watchers ("every process" included).
	Consumers []Consumer
}

// Consumer is one receiver of an event.
type Consumer struct {
	Name string
	// Durable: a JetStream durable consumer named Name on the publisher's
	// stream; otherwise an ephemeral ordered consumer (a watch) that
	// replays the stream at start.
	Durable bool
}

// Webhook is a message openhouse POSTs to a URL a user registered.
type Webhook struct {
	Name, Summary, Description string
	Payload                    any
	// Headers are the HTTP headers sent with it, with what each means.
	Headers map[string]string
}

// AsyncAPI builds the AsyncAPI 3.0 document: one channel per event type
// (its NATS subject), a send operation for its publisher and a receive
// operation per consumer; the CloudEvents envelope of each message with
// its data's schema (from the Go type, as in the OpenAPI document); and
// the webhooks. The result marshals to JSON deterministically.
func AsyncAPI(evs []Event, hooks []Webhook, info Info) (map[string]any, error) {
	var types []any
	for _, e := range evs {
		types = append(types, e.Data)
	}
	for _, h := range hooks {
		types = append(types, h.Payload)
	}
	s := newSchemas(types)
	channels, operations, messages := map[string]any{}, map[string]any{}, map[string]any{}
	names := messageNames(evs)
	for _, e := range evs {
		if !strings.HasPrefix(e.Type, "openhouse."+e.Service+".") {
			return nil, fmt.Errorf("event type %q is not published by %s (openhouse.<service>.<what>.v<N>)", e.Type, e.Service)
		}
		data, err := s.ref(e.Data)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", e.Type, err)
		}
		name := names[e.Type]
		channelID := strings.NewReplacer(".", "_").Replace(strings.TrimPrefix(e.Type, "openhouse."))
		messages[name] = map[string]any{
			"name":        name,
			"title":       e.Type,
			"summary":     e.Summary,
			"contentType": "application/cloudevents+json",
			"payload":     envelope(e.Type, e.Service, data),
		}
		channels[channelID] = map[string]any{
			"address":     e.Subject,
			"title":       e.Type,
			"description": fmt.Sprintf("%s On the JetStream stream `%s` of the %s service; the CloudEvents subject is the id of the thing it is about.", e.Summary, strings.ToUpper(e.Service), e.Service),
			"messages":    map[string]any{name: map[string]any{"$ref": "#/components/messages/" + name}},
		}
		chanRef := map[string]any{"$ref": "#/channels/" + channelID}
		msgRef := []any{map[string]any{"$ref": "#/channels/" + channelID + "/messages/" + name}}
		operations[e.Service+"Publishes"+name] = map[string]any{
			"action": "send", "channel": chanRef, "messages": msgRef,
			"summary": fmt.Sprintf("%s publishes %s (through its outbox).", e.Service, e.Type),
		}
		consumers := slices.Clone(e.Consumers)
		slices.SortFunc(consumers, func(a, b Consumer) int { return strings.Compare(a.Name, b.Name) })
		for _, c := range consumers {
			how := fmt.Sprintf("the durable consumer `%s` on stream `%s`", c.Name, strings.ToUpper(e.Service))
			if !c.Durable {
				how = "a watch (an ephemeral ordered consumer replaying the stream)"
			}
			operations[operationName(c.Name)+"Receives"+name] = map[string]any{
				"action": "receive", "channel": chanRef, "messages": msgRef,
				"summary":    fmt.Sprintf("%s receives %s through %s.", c.Name, e.Type, how),
				"x-consumer": c.Name, "x-durable": c.Durable, "x-event-type": e.Type,
			}
		}
	}
	for _, h := range hooks {
		payload, err := s.ref(h.Payload)
		if err != nil {
			return nil, fmt.Errorf("webhook %s: %w", h.Name, err)
		}
		headers := map[string]any{}
		for _, k := range slices.Sorted(maps.Keys(h.Headers)) {
			headers[k] = map[string]any{"type": "string", "description": h.Headers[k]}
		}
		messages[h.Name] = map[string]any{
			"name": h.Name, "summary": h.Summary, "contentType": "application/json", "payload": payload,
			"headers": map[string]any{"type": "object", "properties": headers},
		}
		channels[h.Name] = map[string]any{
			"address": nil, "title": h.Name, "description": h.Description,
			"messages": map[string]any{h.Name: map[string]any{"$ref": "#/components/messages/" + h.Name}},
			"bindings": map[string]any{"http": map[string]any{"bindingVersion": "0.3.0"}},
		}
		operations["notificationPosts"+h.Name] = map[string]any{
			"action": "send", "channel": map[string]any{"$ref": "#/channels/" + h.Name},
			"messages": []any{map[string]any{"$ref": "#/channels/" + h.Name + "/messages/" + h.Name}},
			"summary":  h.Summary,
			"bindings": map[string]any{"http": map[string]any{"method": "POST", "bindingVersion": "0.3.0"}},
		}
	}
	schemas := map[string]any{}
	for name, ref := range s.components {
		schemas[name] = ref.Value
	}
	return map[string]any{
		"asyncapi":           "3.0.0",
		"info":               map[string]any{"title": info.Title, "version": info.Version, "description": info.Description},
		"defaultContentType": "application/cloudevents+json",
		"servers": map[string]any{"nats": map[string]any{
			"host": "localhost:4222", "protocol": "nats",
			"description": "The NATS JetStream server or cluster of a deployment (OPENHOUSE_NATS_URL; embedded by default). " +
				"With OPENHOUSE_NAMESPACE set, subjects and streams are prefixed with it.",
		}},
		"channels":   channels,
		"operations": operations,
		"components": map[string]any{"messages": messages, "schemas": schemas},
	}, nil
}

// messageNames names each event's message after its data's Go type, with
// the service in front where several events share a type (audit entries).
func messageNames(evs []Event) map[string]string {
	count := map[string]int{}
	for _, e := range evs {
		count[reflect.TypeOf(e.Data).Name()]++
	}
	out := map[string]string{}
	for _, e := range evs {
		n := reflect.TypeOf(e.Data).Name()
		if count[n] > 1 {
			n = capitalise(e.Service) + n
		}
		out[e.Type] = n
	}
	return out
}

func operationName(consumer string) string {
	return strings.ReplaceAll(consumer, " ", "_")
}

// envelope is the CloudEvents 1.0 structured-mode JSON of an event whose
// data has the schema data.
func envelope(typ, service string, data any) map[string]any {
	str := func(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
	return map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"specversion", "id", "source", "type", "subject", "time", "data"},
		"properties": map[string]any{
			"specversion":     map[string]any{"const": "1.0"},
			"id":              str("A UUID; also the JetStream Nats-Msg-Id and every consumer's inbox key."),
			"source":          map[string]any{"const": "/openhouse/" + service},
			"type":            map[string]any{"const": typ},
			"subject":         str("The id of the thing the event is about."),
			"time":            map[string]any{"type": "string", "format": "date-time", "description": "When the change was committed, UTC."},
			"datacontenttype": map[string]any{"const": "application/json"},
			"traceparent":     str("W3C trace context of the request that caused it."),
			"tracestate":      str("W3C trace state."),
			"data":            data,
		},
	}
}

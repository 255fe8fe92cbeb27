package app

import (
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/notification"
	"github.com/openhouse/openhouse/internal/platform/apidoc"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// apiInfo heads the OpenAPI document.
var apiInfo = apidoc.Info{
	Title:   "openhouse",
	Version: "1",
	Description: "Book real-estate home tours: providers list homes, customers put them in a cart, pay and get a tour, " +
		"the platform assigns a realtor and reminds everyone.\n\n" +
		"Conventions: JSON in and out; errors are `application/problem+json` (RFC 9457) with `type`, `title`, `status`, " +
		"`detail`, and `errors: [{field, message}]` for invalid fields. Malformed JSON or a wrong type: 400; a well-formed " +
		"request that breaks a rule: 422; another user's resource: 404; missing or invalid token: 401; wrong role: 403. " +
		"Money is `{amount: <integer minor units>, currency}`; times are RFC 3339; lists page with `limit` and `cursor`.\n\n" +
		"The events the services publish are described in the AsyncAPI document at `/asyncapi.json`.",
	Tags: map[string]string{
		"iam":           "Accounts, sign-in, tokens and their public keys, realtor profiles, calendar feed URLs, the audit log.",
		"listings":      "Homes for sale and their tour fees; search by place, price and text.",
		"cart":          "The customer's cart and checkout; every cart, for admins.",
		"payments":      "Charges and refunds.",
		"tours":         "Booked tours: reschedule, cancel.",
		"availability":  "The realtor index (admins and services).",
		"appointments":  "Realtor assignments: confirm or decline.",
		"notifications": "The inbox, the user's webhook and calendar feeds.",
		"admin":         "Operators' tools: dead letters.",
		"operations":    "Liveness, readiness and metrics, for orchestrators and Prometheus.",
		"web app":       "The web app's pages and files, and its live stream of news.",
		"docs":          "The API descriptions and their reference page.",
	},
	Group: map[string]string{
		"well-known": "iam", "carts": "cart", "calendar": "notifications",
		"healthz": "operations", "readyz": "operations", "metrics": "operations",
		"app": "web app", "web": "web app", "events": "web app",
		"openapi.json": "docs", "asyncapi.json": "docs",
	},
}

//go:generate go test -run ^(TestOpenAPIDocument|TestAsyncAPIDocument)$ -update .
//go:generate go generate ./apiclient

// OpenAPI is the OpenAPI document of routes: the table of a process that
// runs every service (App.Routes) describes the whole API.
func OpenAPI(routes []auth.Route) (*openapi3.T, error) {
	return apidoc.OpenAPI(routes, apiInfo)
}

// watcher is a component that follows streams by watching them (ephemeral
// ordered consumers) rather than through durable subscriptions.
type watcher interface {
	Watched() map[string][]string
}

// AsyncAPI is the AsyncAPI document of the events as this process's
// services publish and consume them (one that runs every service describes
// them all): the catalogue (internal/events), who receives each event
// (the services' subscriptions and watches, and every process's watch of
// revocations), and the webhooks notification posts.
func (a *App) AsyncAPI() (map[string]any, error) {
	consumers := map[string][]apidoc.Consumer{}
	add := func(typ string, c apidoc.Consumer) {
		if !slices.Contains(consumers[typ], c) {
			consumers[typ] = append(consumers[typ], c)
		}
	}
	for i, p := range a.parts {
		for _, sub := range p.Subscriptions() {
			for typ := range sub.Handlers {
				add(typ, apidoc.Consumer{Name: sub.Consumer, Durable: true})
			}
		}
		if w, ok := p.(watcher); ok {
			for _, types := range w.Watched() {
				for _, typ := range types {
					add(typ, apidoc.Consumer{Name: a.cfg.Services[i]})
				}
			}
		}
	}
	for _, typ := range revocationEvents {
		add(typ, apidoc.Consumer{Name: "every process"})
	}
	evs := make([]apidoc.Event, len(events.Catalogue))
	for i, e := range events.Catalogue {
		service, _, _ := strings.Cut(strings.TrimPrefix(e.Type, "openhouse."), ".")
		evs[i] = apidoc.Event{Type: e.Type, Summary: e.Summary, Service: service, Subject: bus.Subject(e.Type),
			Data: e.Data, Consumers: consumers[e.Type]}
	}
	hooks := []apidoc.Webhook{{
		Name:    "UserWebhook",
		Summary: "A notification POSTed to the URL a user registered (PUT /notifications/webhook).",
		Description: "The same news as the inbox, sent to the user's own endpoint. Deliveries are retried with exponential backoff " +
			"(30 s doubling, at most 1 h) and given up after 8 attempts; `id` is the same on every retry, for the receiver to deduplicate.",
		Payload: notification.WebhookBody{},
		Headers: map[string]string{
			"Openhouse-Signature": "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\" keyed with the secret>; refuse a t far from your clock.",
			"Openhouse-Delivery":  "The delivery id.",
		},
	}}
	return apidoc.AsyncAPI(evs, hooks, apidoc.Info{Title: "openhouse events", Version: "1",
		Description: "Every state change a service makes is published, in the transaction that makes it, as a CloudEvents 1.0 " +
			"envelope (structured JSON) on JetStream: one stream per publishing service, one durable consumer per consuming " +
			"service and stream. At-least-once on the wire, exactly once in effect (consumers keep an inbox of event ids). " +
			"docs/events.md describes each event in words."})
}

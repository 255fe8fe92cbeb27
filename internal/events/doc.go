// Package events is the catalogue of every event openhouse services publish:
// one file per publishing service, one Go type per event, named in the past
// tense. The CloudEvents type carries a version (openhouse.iam.user.registered.v1);
// a change that breaks consumers is a new version, published beside the old
// until every consumer has moved. catalogue.go lists every event; who
// consumes each is not written here but read from the services'
// subscriptions into the AsyncAPI document (docs/asyncapi.json), and
// docs/events.md, which describes each event in words, is checked against
// it.
//
// Services share these types and HTTP contracts, never each other's code.
package events

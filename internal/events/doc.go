// Package events is the catalogue of every event openhouse services publish:
// one file per publishing service, one Go type per event, named in the past
// tense. The CloudEvents type carries a version (openhouse.iam.user.registered.v1);
// a change that breaks consumers is a new version, published beside the old
// until every consumer has moved. docs/events.md describes each event.
//
// Services share these types and HTTP contracts, never each other's code.
package events

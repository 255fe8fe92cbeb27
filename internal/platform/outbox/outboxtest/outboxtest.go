// Package outboxtest reads a service's outbox in tests: what a change
// wrote for its consumers, before any relay published it.
package outboxtest

import (
	"testing"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// Events decodes the events in db's outbox, oldest first.
func Events(t testing.TB, db *store.DB) []bus.Event {
	t.Helper()
	rows, err := db.Query(`SELECT payload FROM outbox ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []bus.Event
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		ev, err := bus.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// OfType returns the events of type typ in db's outbox, oldest first.
func OfType(t testing.TB, db *store.DB, typ string) []bus.Event {
	t.Helper()
	var out []bus.Event
	for _, ev := range Events(t, db) {
		if ev.Type() == typ {
			out = append(out, ev)
		}
	}
	return out
}

// Types lists the event types in db's outbox, oldest first.
func Types(t testing.TB, db *store.DB) []string {
	t.Helper()
	var out []string
	for _, ev := range Events(t, db) {
		out = append(out, ev.Type())
	}
	return out
}

// Data decodes the data of the events of type typ in db's outbox into T,
// oldest first.
func Data[T any](t testing.TB, db *store.DB, typ string) []T {
	t.Helper()
	var out []T
	for _, ev := range OfType(t, db, typ) {
		var v T
		if err := ev.DataAs(&v); err != nil {
			t.Fatalf("%s %s: %v", typ, ev.ID(), err)
		}
		out = append(out, v)
	}
	return out
}

package bus_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

// Encode writes what json.Marshal of the envelope wrote before it, up to
// the escaping of <, > and & that json.Marshal adds: a consumer decodes the
// same event from either.
func TestEncodeDecodesLikeJSONMarshal(t *testing.T) {
	ctx := context.Background()
	ev, err := bus.NewEvent(ctx, typeCreated, "a <b> & c", map[string]any{"title": "Loft <3 & garden", "city": "Zürich", "n": 3}, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	fast, err := bus.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	std, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(fast, &a); err != nil {
		t.Fatalf("Encode wrote invalid JSON %s: %v", fast, err)
	}
	if err := json.Unmarshal(std, &b); err != nil {
		t.Fatal(err)
	}
	if ja, jb := mustJSON(t, a), mustJSON(t, b); ja != jb {
		t.Fatalf("Encode %s\njson.Marshal %s", ja, jb)
	}
	got, err := bus.Decode(fast)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID() != ev.ID() || got.Subject() != ev.Subject() || string(got.Data()) != string(ev.Data()) {
		t.Fatalf("decoded %v, want %v", got, ev)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

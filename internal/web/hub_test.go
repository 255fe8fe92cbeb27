package web

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// A stream that falls behind is ended rather than blocking the others.
func TestHubEndsAStreamThatFallsBehind(t *testing.T) {
	h := newHub(nil, nil, 1, 8, slog.New(slog.DiscardHandler))
	h.started = true // no bus: events are handed to deliver directly
	slow, err := h.subscribe(context.Background(), auth.Principal{ID: "cust", Role: auth.RoleCustomer})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := h.subscribe(context.Background(), auth.Principal{ID: "adm", Role: auth.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := bus.NewEvent(context.Background(), events.TypePaymentSucceeded, "pay", events.PaymentSucceeded{PaymentID: "pay", CustomerID: "cust"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h.deliver(ev)
	<-admin.ch // the admin keeps up
	h.deliver(ev)
	select {
	case <-slow.gone:
	default:
		t.Fatal("the stream that did not read is still open")
	}
	select {
	case <-admin.gone:
		t.Fatal("the stream that kept up was ended")
	default:
	}
	h.unsubscribe(slow) // harmless after the drop
	h.close()
	if _, err := h.subscribe(context.Background(), auth.Principal{ID: "cust", Role: auth.RoleCustomer}); err != errClosed {
		t.Fatalf("subscribe after close = %v, want errClosed", err)
	}
	select {
	case <-admin.gone:
	default:
		t.Fatal("close left a stream open")
	}
}

// One user may hold PerUser streams; a stream that ends frees its place.
func TestHubLimitsStreamsPerUser(t *testing.T) {
	h := newHub(nil, nil, 1, 2, slog.New(slog.DiscardHandler))
	h.started = true
	alice := auth.Principal{ID: "alice", Role: auth.RoleCustomer}
	first, err := h.subscribe(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.subscribe(context.Background(), alice); err != nil {
		t.Fatal(err)
	}
	if _, err := h.subscribe(context.Background(), alice); err != errTooMany {
		t.Fatalf("third stream: %v, want errTooMany", err)
	}
	if _, err := h.subscribe(context.Background(), auth.Principal{ID: "bob", Role: auth.RoleCustomer}); err != nil {
		t.Fatalf("another user is refused: %v", err)
	}
	h.unsubscribe(first)
	if _, err := h.subscribe(context.Background(), alice); err != nil {
		t.Fatalf("after one ended: %v", err)
	}
}

package web

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// A stream that falls behind is ended rather than blocking the others.
func TestHubEndsAStreamThatFallsBehind(t *testing.T) {
	h := newHub(Config{Buffer: 1, PerUser: 8, Log: slog.New(slog.DiscardHandler)}.withDefaults())
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
	h := newHub(Config{Buffer: 1, PerUser: 2, Log: slog.New(slog.DiscardHandler)}.withDefaults())
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

// A user suspended while their stream is open hears nothing more: the
// stream ends at the next event.
func TestHubEndsASuspendedUsersStream(t *testing.T) {
	var suspended atomic.Bool
	h := newHub(Config{Buffer: 8, PerUser: 8, Log: slog.New(slog.DiscardHandler),
		Suspended: func(id string) bool { return id == "cust" && suspended.Load() }}.withDefaults())
	h.started = true
	s, err := h.subscribe(context.Background(), auth.Principal{ID: "cust", Role: auth.RoleCustomer})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := bus.NewEvent(context.Background(), events.TypePaymentSucceeded, "pay", events.PaymentSucceeded{PaymentID: "pay", CustomerID: "cust"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h.deliver(ev)
	<-s.ch
	suspended.Store(true)
	h.deliver(ev)
	select {
	case <-s.gone:
	default:
		t.Fatal("the suspended user's stream is still open")
	}
	if len(s.ch) != 0 {
		t.Fatal("the suspended user was sent the event")
	}
}

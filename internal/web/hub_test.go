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

// A user suspended, or a session signed out, while its stream is open
// hears nothing more: the stream ends at the next event, and only the
// streams of that session, or of that user, end.
func TestHubEndsStreamsOfEndedSignIns(t *testing.T) {
	var suspended, signedOut atomic.Bool
	h := newHub(Config{Buffer: 8, PerUser: 8, Log: slog.New(slog.DiscardHandler),
		Ended: func(p auth.Principal) bool {
			return p.ID == "cust" && (suspended.Load() || signedOut.Load() && p.Session == "tab-1")
		}}.withDefaults())
	h.started = true
	tab1, err := h.subscribe(context.Background(), auth.Principal{ID: "cust", Role: auth.RoleCustomer, Session: "tab-1"})
	if err != nil {
		t.Fatal(err)
	}
	tab2, err := h.subscribe(context.Background(), auth.Principal{ID: "cust", Role: auth.RoleCustomer, Session: "tab-2"})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := bus.NewEvent(context.Background(), events.TypePaymentSucceeded, "pay", events.PaymentSucceeded{PaymentID: "pay", CustomerID: "cust"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h.deliver(ev)
	<-tab1.ch
	<-tab2.ch
	isGone := func(s *subscriber) bool {
		select {
		case <-s.gone:
			return true
		default:
			return false
		}
	}

	signedOut.Store(true)
	h.deliver(ev)
	if !isGone(tab1) || len(tab1.ch) != 0 {
		t.Fatal("the signed-out session's stream is still open, or was sent the event")
	}
	if isGone(tab2) || len(tab2.ch) != 1 {
		t.Fatal("the user's other session lost its stream or the event")
	}
	<-tab2.ch

	suspended.Store(true)
	h.deliver(ev)
	if !isGone(tab2) || len(tab2.ch) != 0 {
		t.Fatal("the suspended user's stream is still open, or was sent the event")
	}
}

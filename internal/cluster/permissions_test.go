package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

func TestEachServiceMayPublishOnlyItsOwnEvents(t *testing.T) {
	for _, s := range app.ServiceNames() {
		p := ServicePermissions(s, "ns")
		var events []string
		for _, subj := range p.Publish {
			if strings.HasPrefix(subj, "ns.events.") {
				events = append(events, subj)
			}
			if strings.HasPrefix(subj, "events.") || subj == ">" || strings.HasPrefix(subj, "ns.>") {
				t.Errorf("%s may publish %q", s, subj)
			}
		}
		if len(events) != 1 || events[0] != "ns.events."+s+".>" {
			t.Errorf("%s event subjects = %v", s, events)
		}
		if len(p.Subscribe) != 1 || p.Subscribe[0] != "_INBOX.>" {
			t.Errorf("%s subscribes to %v", s, p.Subscribe)
		}
	}
}

const paymentSucceeded = "openhouse.payment.succeeded.v1"

func connectAs(t *testing.T, top *Topology, user string) *bus.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := bus.Connect(ctx, bus.Config{URL: top.NATSURL(user), Replicas: NATSNodes, Namespace: top.Options.Namespace,
		Name: user, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(b.Close)
	return b
}

// natsCluster plans the cluster's topology and starts its NATS nodes only,
// with the users and permissions the launcher writes.
func natsCluster(t *testing.T) *Topology {
	t.Helper()
	top, err := Plan(testOptions(t, natsServerBin(t)), RandomSecret(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	startNATS(t, New(top, false))
	return top
}

// TestBusPermissionsOnTheCluster runs the cluster's NATS configuration (3
// nodes, R3 streams, a user per service) and shows that a service can
// publish its own events and consume others', and cannot publish another
// service's events.
func TestBusPermissionsOnTheCluster(t *testing.T) {
	top := natsCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// A raw publish by cart on payment's subject is refused by the server.
	violations := make(chan error, 4)
	nc, err := nats.Connect(top.NATSURL("cart"), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		violations <- err
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Publish("ptest.events.payment.succeeded.v1", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-violations:
		if !errors.Is(err, nats.ErrPermissionViolation) {
			t.Fatalf("cart publishing a payment event: %v, want a permissions violation", err)
		}
	case <-ctx.Done():
		t.Fatal("cart published a payment event and the server said nothing")
	}

	// A wrong password is refused, and the error does not repeat it.
	wrong := strings.ReplaceAll(top.NATSURL("cart"), top.NATSUsers["cart"], "wrong-secret-123")
	if b, err := bus.Connect(ctx, bus.Config{URL: wrong, Namespace: "ptest", Logger: slog.New(slog.DiscardHandler)}); err == nil {
		b.Close()
		t.Fatal("connected with a wrong password")
	} else if strings.Contains(err.Error(), "wrong-secret-123") {
		t.Fatalf("the connect error shows the password: %v", err)
	}

	// The tour service consumes payment events with its own user.
	payment, cart, tour := connectAs(t, top, "payment"), connectAs(t, top, "cart"), connectAs(t, top, "tour")
	var mu sync.Mutex
	got := map[string]bool{}
	received := make(chan struct{}, 8)
	_, err = tour.Subscribe(ctx, bus.Subscription{Consumer: "tour", Stream: "payment", Handlers: map[string]bus.Handler{
		paymentSucceeded: func(_ context.Context, ev bus.Event) error {
			mu.Lock()
			got[ev.ID()] = true
			mu.Unlock()
			received <- struct{}{}
			return nil
		},
	}})
	if err != nil {
		t.Fatalf("tour subscribing to payment: %v", err)
	}

	forged, _ := bus.NewEvent(ctx, paymentSucceeded, "payments/forged", map[string]string{"id": "forged"}, time.Now())
	shortCtx, cancelShort := context.WithTimeout(ctx, 3*time.Second)
	err = cart.Publish(shortCtx, forged)
	cancelShort()
	if err == nil {
		t.Fatal("cart published payment.succeeded through JetStream")
	}
	genuine, _ := bus.NewEvent(ctx, paymentSucceeded, "payments/genuine", map[string]string{"id": "genuine"}, time.Now())
	if err := payment.Publish(ctx, genuine); err != nil {
		t.Fatalf("payment publishing its own event: %v", err)
	}
	select {
	case <-received:
	case <-ctx.Done():
		t.Fatal("tour never received payment's event")
	}
	mu.Lock()
	defer mu.Unlock()
	if !got[genuine.ID()] || got[forged.ID()] {
		t.Fatalf("tour received %v; want the genuine event only", got)
	}
	if n, err := payment.StreamMessages(ctx, "payment"); err != nil || n != 1 {
		t.Fatalf("payment stream holds %d messages (%v), want 1", n, err)
	}
}

// TestServicesCannotEraseHistoryOnTheCluster: on the cluster's NATS
// configuration a service's user cannot delete or purge a stream, nor
// delete an event from one, even though it manages streams and consumers;
// iam, which replays dead letters, may remove a replayed dead letter and
// nothing else. The history every consumer rebuilds from stays whole.
func TestServicesCannotEraseHistoryOnTheCluster(t *testing.T) {
	top := natsCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	payment, tour, iam := connectAs(t, top, "payment"), connectAs(t, top, "tour"), connectAs(t, top, "iam")
	for i := range 2 {
		ev, _ := bus.NewEvent(ctx, paymentSucceeded, fmt.Sprint("payments/p", i), map[string]int{"i": i}, time.Now())
		if err := payment.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	// tour gives up on both at once: two dead letters.
	if _, err := tour.Subscribe(ctx, bus.Subscription{Consumer: "tour", Stream: "payment", Handlers: map[string]bus.Handler{
		paymentSucceeded: func(context.Context, bus.Event) error { return bus.Permanent(errors.New("not today")) },
	}}); err != nil {
		t.Fatal(err)
	}
	var letters []bus.DeadLetter
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for len(letters) < 2 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("%d dead letters, want 2", len(letters))
		}
		var err error
		if letters, err = iam.DeadLetters(ctx, 0, 10); err != nil {
			t.Fatal(err)
		}
	}

	// Every destructive call of cart's user is refused by the server.
	nc, err := nats.Connect(top.NATSURL("cart"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	refused := func(what string, call func(ctx context.Context) error) {
		t.Helper()
		short, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := call(short); err == nil {
			t.Errorf("cart's user could %s", what)
		}
	}
	refused("delete the payment stream", func(ctx context.Context) error { return js.DeleteStream(ctx, "PTEST_PAYMENT") })
	refused("purge the payment stream", func(ctx context.Context) error {
		s, err := js.Stream(ctx, "PTEST_PAYMENT")
		if err != nil {
			return nil // reading the stream is allowed: a failure here is the test's
		}
		return s.Purge(ctx)
	})
	refused("delete an event", func(ctx context.Context) error {
		s, err := js.Stream(ctx, "PTEST_PAYMENT")
		if err != nil {
			return nil
		}
		return s.DeleteMsg(ctx, 1)
	})
	refused("delete a dead letter", func(ctx context.Context) error {
		s, err := js.Stream(ctx, "PTEST_DLQ")
		if err != nil {
			return nil
		}
		return s.DeleteMsg(ctx, letters[0].Seq)
	})
	// iam may not delete events either, but replays a dead letter, which
	// removes it.
	refused("delete an event as iam", func(ctx context.Context) error {
		inc, err := nats.Connect(top.NATSURL("iam"))
		if err != nil {
			return nil
		}
		defer inc.Close()
		ijs, _ := jetstream.New(inc)
		s, err := ijs.Stream(ctx, "PTEST_PAYMENT")
		if err != nil {
			return nil
		}
		return s.DeleteMsg(ctx, 1)
	})
	if err := iam.Replay(ctx, letters[0].Seq); err != nil {
		t.Fatalf("iam replaying a dead letter: %v", err)
	}
	// The replayed one is gone (failing again, it comes back under a new
	// sequence); the other is still there.
	left, err := iam.DeadLetters(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, l := range left {
		seqs = append(seqs, l.Seq)
	}
	if slices.Contains(seqs, letters[0].Seq) || !slices.Contains(seqs, letters[1].Seq) {
		t.Fatalf("dead letters after replaying %d: %v, want %d kept and %d gone", letters[0].Seq, seqs, letters[1].Seq, letters[0].Seq)
	}
	if n, err := payment.StreamMessages(ctx, "payment"); err != nil || n != 2 {
		t.Fatalf("payment stream holds %d messages (%v), want 2", n, err)
	}
}

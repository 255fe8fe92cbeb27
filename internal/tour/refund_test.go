package tour

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// till is a payment service double for one payment of total: it refunds
// once per idempotency key, and refuses (as the real one, 422) a refund of
// more than what is left after the refunds made and pending.
type till struct {
	mu                       sync.Mutex
	total, refunded, pending int64
	keys                     []string
	// reject refuses every refund for another reason.
	reject error
}

func (p *till) Refund(_ context.Context, paymentID, key string, req clients.RefundRequest) (clients.Payment, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reject != nil {
		return clients.Payment{}, p.reject
	}
	for _, k := range p.keys {
		if k == key {
			return clients.Payment{ID: paymentID, Status: "refunded"}, nil
		}
	}
	if req.Amount.Amount > p.total-p.refunded-p.pending {
		return clients.Payment{}, &clients.OverRefund{APIError: &clients.APIError{Status: http.StatusUnprocessableEntity},
			Refunded: usd(p.refunded), Pending: usd(p.pending)}
	}
	p.refunded += req.Amount.Amount
	p.keys = append(p.keys, key)
	return clients.Payment{ID: paymentID, Status: "refunded"}, nil
}

// TestCancellationRefundsWhatIsOwed: a cancellation refunds what its rule
// grants exactly once however often it arrives, counting what was
// refunded before (a declined home's fee, an admin's refund by hand) so
// the payer never gets more back than they paid; refunds still pending
// are waited for, and a refusal no retry can cure goes to a person.
func TestCancellationRefundsWhatIsOwed(t *testing.T) {
	const (
		taken = iota
		retried
		deadLetter
	)
	for _, c := range []struct {
		name              string
		refund, stops     int64 // the cancellation's grant, and what declined homes got back
		refunded, pending int64 // at the payment service before it
		reject            error
		outcome           int
		wantRefunded      int64
		wantKeys          []string
	}{
		{name: "the whole fee", refund: 4000, outcome: taken, wantRefunded: 4000, wantKeys: []string{"tour-cancel:t-1"}},
		{name: "nothing granted", refund: 0, outcome: taken},
		{name: "all refunded by hand already", refund: 4000, refunded: 4000, outcome: taken, wantRefunded: 4000},
		{name: "part refunded by hand", refund: 4000, refunded: 1000, outcome: taken, wantRefunded: 4000,
			wantKeys: []string{"tour-cancel:t-1:rest:3000"}},
		{name: "a declined home's fee back before", refund: 3000, stops: 1000, refunded: 1000, outcome: taken, wantRefunded: 4000,
			wantKeys: []string{"tour-cancel:t-1"}},
		{name: "a declined home's fee and some by hand", refund: 3000, stops: 1000, refunded: 1500, outcome: taken, wantRefunded: 4000,
			wantKeys: []string{"tour-cancel:t-1:rest:2500"}},
		{name: "a refund pending at the gateway", refund: 4000, pending: 1000, outcome: retried},
		{name: "refused for another reason", refund: 4000, reject: &clients.APIError{Status: http.StatusBadRequest}, outcome: deadLetter},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			payments := &till{total: 4000, refunded: c.refunded, pending: c.pending, reject: c.reject}
			svc, err := New(h.store, Peers{Payments: payments, Holds: h.desk, Slots: openBook{}, Access: h.access, Listings: h.access},
				Config{Clock: h.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			ev := mustEvent(t, h, events.TypeTourCancelled, "t-1", events.TourCancelled{
				Tour:   events.Tour{TourID: "t-1", CustomerID: "cust-1", PaymentID: "pay-1", Status: "cancelled"},
				Reason: "customer", CancelledBy: "cust-1", Refund: usd(c.refund), StopsRefunded: usd(c.stops)})
			for range 3 {
				err = handleWith(t, svc, ev)
				switch {
				case c.outcome == taken && err != nil:
					t.Fatalf("= %v, want it taken", err)
				case c.outcome == retried && (err == nil || isPermanentError(err)):
					t.Fatalf("= %v, want an error to retry", err)
				case c.outcome == deadLetter && !isPermanentError(err):
					t.Fatalf("= %v, want a permanent error", err)
				}
			}
			refunded := c.refunded
			if c.outcome == taken {
				refunded = c.wantRefunded
			}
			if payments.refunded != refunded || len(payments.keys) != len(c.wantKeys) {
				t.Fatalf("refunded %d under %v, want %d under %v", payments.refunded, payments.keys, refunded, c.wantKeys)
			}
			for i, k := range c.wantKeys {
				if payments.keys[i] != k {
					t.Fatalf("keys %v, want %v", payments.keys, c.wantKeys)
				}
			}
		})
	}
}

// handleWith hands ev to svc's handler of its type.
func handleWith(t *testing.T, svc *Service, ev bus.Event) error {
	t.Helper()
	for _, sub := range svc.Subscriptions() {
		if handle, ok := sub.Handlers[ev.Type()]; ok {
			return handle(context.Background(), ev)
		}
	}
	t.Fatalf("the service does not consume %s", ev.Type())
	return nil
}

package bus_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

func TestMergeJoinsPartsOfOneConsumer(t *testing.T) {
	h := func(context.Context, bus.Event) error { return nil }
	a := bus.Subscription{Consumer: "iam", Stream: "payment", Handlers: map[string]bus.Handler{"openhouse.payment.succeeded.v1": h}}
	b := bus.Subscription{Consumer: "iam", Stream: "listing", Handlers: map[string]bus.Handler{"openhouse.listing.created.v1": h}}
	c := bus.Subscription{Consumer: "iam", Stream: "payment", Handlers: map[string]bus.Handler{"openhouse.payment.audit.recorded.v1": h}}
	d := bus.Subscription{Consumer: "tour", Stream: "payment", Handlers: map[string]bus.Handler{"openhouse.payment.succeeded.v1": h}}
	got, err := bus.Merge(a, b, c, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Stream != "payment" || got[1].Stream != "listing" || got[2].Consumer != "tour" {
		t.Fatalf("merged = %+v, want iam/payment, iam/listing, tour/payment", got)
	}
	if len(got[0].Handlers) != 2 || len(a.Handlers) != 1 {
		t.Fatalf("iam/payment handles %d types (want 2); the first part now has %d (want 1: untouched)", len(got[0].Handlers), len(a.Handlers))
	}

	bad := bus.Subscription{Consumer: "iam", Stream: "payment", MaxAttempts: 3, Handlers: map[string]bus.Handler{"openhouse.payment.failed.v1": h}}
	if _, err := bus.Merge(a, bad); err == nil || !strings.Contains(err.Error(), "iam on payment") {
		t.Errorf("own retry settings: err = %v, want a refusal naming iam on payment", err)
	}
}

// TestMergeRunsEveryPartOfASharedType: a type two parts handle runs both
// handlers, in the parts' order, and a failure of the first fails the
// delivery before the second runs (the redelivery runs both again).
func TestMergeRunsEveryPartOfASharedType(t *testing.T) {
	const typ = "openhouse.payment.succeeded.v1"
	var ran []string
	failFirst := errors.New("first failed")
	var firstErr error
	part := func(name string, err *error) bus.Subscription {
		return bus.Subscription{Consumer: "iam", Stream: "payment", Handlers: map[string]bus.Handler{typ: func(context.Context, bus.Event) error {
			ran = append(ran, name)
			if err != nil {
				return *err
			}
			return nil
		}}}
	}
	got, err := bus.Merge(part("records", &firstErr), part("audit log", nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Handlers) != 1 {
		t.Fatalf("merged = %+v, want one subscription with one handler", got)
	}
	ev, err := bus.NewEvent(context.Background(), typ, "p-1", map[string]string{"payment_id": "p-1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := got[0].Handlers[typ](context.Background(), ev); err != nil || !slices.Equal(ran, []string{"records", "audit log"}) {
		t.Fatalf("ran %v (err %v), want records then audit log", ran, err)
	}
	ran, firstErr = nil, failFirst
	if err := got[0].Handlers[typ](context.Background(), ev); !errors.Is(err, failFirst) || !slices.Equal(ran, []string{"records"}) {
		t.Fatalf("with the first failing: ran %v, err %v; want only records and its error", ran, err)
	}
}

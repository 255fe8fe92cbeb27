package bus_test

import (
	"context"
	"strings"
	"testing"

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

	for name, bad := range map[string]bus.Subscription{
		"a type twice":       {Consumer: "iam", Stream: "payment", Handlers: map[string]bus.Handler{"openhouse.payment.succeeded.v1": h}},
		"own retry settings": {Consumer: "iam", Stream: "payment", MaxAttempts: 3, Handlers: map[string]bus.Handler{"openhouse.payment.failed.v1": h}},
	} {
		if _, err := bus.Merge(a, bad); err == nil || !strings.Contains(err.Error(), "iam on payment") {
			t.Errorf("%s: err = %v, want a refusal naming iam on payment", name, err)
		}
	}
}

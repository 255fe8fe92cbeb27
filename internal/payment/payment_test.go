package payment

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
)

func usd(n int64) events.Money { return events.Money{Amount: n, Currency: "USD"} }

func validInput() chargeInput {
	return chargeInput{OrderID: "o-1", CustomerID: "c-1", Amount: usd(2500), Method: "tok_visa",
		ListingIDs: []string{"l-1"}, ScheduledAt: t0.Add(48 * time.Hour)}
}

func TestChargeInputValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*chargeInput)
		field string // "" = valid
	}{
		{"valid", func(*chargeInput) {}, ""},
		{"no order", func(in *chargeInput) { in.OrderID = "" }, "order_id"},
		{"blank order", func(in *chargeInput) { in.OrderID = "   " }, "order_id"},
		{"control character", func(in *chargeInput) { in.CustomerID = "c\x00" }, "customer_id"},
		{"long id", func(in *chargeInput) { in.OrderID = strings.Repeat("x", 129) }, "order_id"},
		{"zero amount", func(in *chargeInput) { in.Amount = usd(0) }, "amount"},
		{"negative amount", func(in *chargeInput) { in.Amount = usd(-1) }, "amount"},
		{"over max amount", func(in *chargeInput) { in.Amount = usd(events.MaxAmount + 1) }, "amount"},
		{"bad currency", func(in *chargeInput) { in.Amount.Currency = "usd" }, "amount"},
		{"no method", func(in *chargeInput) { in.Method = "" }, "payment_method"},
		{"method with space", func(in *chargeInput) { in.Method = "tok visa" }, "payment_method"},
		{"method too long", func(in *chargeInput) { in.Method = strings.Repeat("t", 256) }, "payment_method"},
		{"no listings", func(in *chargeInput) { in.ListingIDs = nil }, "listing_ids"},
		{"too many listings", func(in *chargeInput) { in.ListingIDs = make([]string, 51) }, "listing_ids"},
		{"empty listing id", func(in *chargeInput) { in.ListingIDs = []string{""} }, "listing_ids"},
		{"no time", func(in *chargeInput) { in.ScheduledAt = time.Time{} }, "scheduled_at"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := validInput()
			c.edit(&in)
			err := in.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			var v fault.ValidationError
			if !errors.As(err, &v) || len(v) != 1 || v[0].Field != c.field {
				t.Fatalf("Validate = %v, want one error on %s", err, c.field)
			}
		})
	}
}

func settled(t *testing.T, amount int64) payment {
	t.Helper()
	in := validInput()
	in.Amount = usd(amount)
	p := newPayment("p-1", in, "k", t0)
	if err := p.Settle(true, "ref", "", t0); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSettleOnlyOnce(t *testing.T) {
	p := newPayment("p-1", validInput(), "k", t0)
	if p.Status != statusPending {
		t.Fatalf("new payment is %s", p.Status)
	}
	if err := p.Settle(false, "ref-1", "card_declined", t0); err != nil {
		t.Fatal(err)
	}
	if p.Status != statusFailed || p.FailureReason != "card_declined" || p.GatewayRef != "ref-1" {
		t.Fatalf("after decline: %+v", p)
	}
	if err := p.Settle(true, "ref-2", "", t0); !errors.Is(err, errNotPending) {
		t.Fatalf("second Settle = %v, want ErrNotPending", err)
	}
	if p.Status != statusFailed || p.GatewayRef != "ref-1" {
		t.Fatalf("second Settle changed the payment: %+v", p)
	}
}

func TestCheckRefund(t *testing.T) {
	m := func(n int64) *events.Money { v := usd(n); return &v }
	cases := []struct {
		name      string
		status    status
		refunded  int64
		reserved  int64
		requested *events.Money
		want      int64
		err       error
	}{
		{"full by default", statusSucceeded, 0, 0, nil, 1000, nil},
		{"the rest by default", statusPartiallyRefunded, 300, 0, nil, 700, nil},
		{"the rest minus reserved", statusSucceeded, 0, 400, nil, 600, nil},
		{"partial", statusSucceeded, 0, 0, m(250), 250, nil},
		{"exactly what is left", statusPartiallyRefunded, 300, 200, m(500), 500, nil},
		{"one cent over", statusPartiallyRefunded, 300, 200, m(501), 0, errOverRefund},
		{"over the charge", statusSucceeded, 0, 0, m(1001), 0, errOverRefund},
		{"nothing left", statusRefunded, 1000, 0, nil, 0, errOverRefund},
		{"failed payment", statusFailed, 0, 0, nil, 0, errNotRefundable},
		{"failed payment, amount", statusFailed, 0, 0, m(1), 0, errNotRefundable},
		{"pending payment", statusPending, 0, 0, nil, 0, errNotSettled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := settled(t, 1000)
			p.Status, p.Refunded = c.status, usd(c.refunded)
			got, err := p.CheckRefund(c.requested, c.reserved)
			if !errors.Is(err, c.err) || (c.err == nil && got != usd(c.want)) {
				t.Fatalf("CheckRefund = %v, %v; want %d, %v", got, err, c.want, c.err)
			}
		})
	}
	t.Run("invalid amounts", func(t *testing.T) {
		p := settled(t, 1000)
		for _, bad := range []events.Money{usd(0), usd(-5), {Amount: 5, Currency: "EUR"}, {Amount: 5, Currency: "us"}} {
			var v fault.ValidationError
			if _, err := p.CheckRefund(&bad, 0); !errors.As(err, &v) {
				t.Errorf("CheckRefund(%v) = %v, want a validation error", bad, err)
			}
		}
	})
}

func TestApplyRefund(t *testing.T) {
	p := settled(t, 1000)
	if err := p.ApplyRefund(usd(400), t0); err != nil {
		t.Fatal(err)
	}
	if p.Status != statusPartiallyRefunded || p.Refunded != usd(400) {
		t.Fatalf("after 400: %s %v", p.Status, p.Refunded)
	}
	if err := p.ApplyRefund(usd(601), t0); !errors.Is(err, errOverRefund) {
		t.Fatalf("ApplyRefund(601) = %v, want ErrOverRefund", err)
	}
	if err := p.ApplyRefund(usd(600), t0); err != nil {
		t.Fatal(err)
	}
	if p.Status != statusRefunded || p.Refunded != usd(1000) {
		t.Fatalf("after 1000: %s %v", p.Status, p.Refunded)
	}
}

func TestConfigValidate(t *testing.T) {
	gw := &hookGateway{}
	cases := map[string]Config{
		"no gateway":                 {},
		"keys kept under 24h":        {Gateway: gw, KeyRetention: time.Hour},
		"lease shorter than a call":  {Gateway: gw, LeaseTTL: 10 * time.Second},
		"resume window past 24h":     {Gateway: gw, ResumeWindow: 25 * time.Hour},
		"reconcile before a timeout": {Gateway: gw, ReconcileAfter: 10 * time.Second},
		"negative wait":              {Gateway: gw, InFlightWait: -time.Second},
	}
	for name, cfg := range cases {
		if _, err := New(&SQLStore{}, cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	if _, err := New(&SQLStore{}, Config{Gateway: gw}); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}

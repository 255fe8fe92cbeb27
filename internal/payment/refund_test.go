package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

func (h *harness) refund(id, body string, header ...string) *httptest.ResponseRecorder {
	h.t.Helper()
	return h.do(&admin, "POST", "/payments/"+id+"/refund", body, header...)
}

func (h *harness) refundedEvents() []events.PaymentRefunded {
	h.t.Helper()
	var out []events.PaymentRefunded
	for _, ev := range h.outboxEvents(events.TypePaymentRefunded) {
		var e events.PaymentRefunded
		if err := ev.DataAs(&e); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func amountBody(n int64) string {
	return `{"amount":{"amount":` + strconv.FormatInt(n, 10) + `,"currency":"USD"}}`
}

func TestRefunds(t *testing.T) {
	t.Run("full by default", func(t *testing.T) {
		h := newHarness(t, storetest.OpenSQLite)
		p := h.paid(customer.ID, 5000)
		rec := h.refund(p.ID, "")
		if rec.Code != http.StatusOK {
			t.Fatalf("refund = %d %s", rec.Code, rec.Body)
		}
		v := decode[view](t, rec)
		if v.Status != "refunded" || v.Refunded != usd(5000) {
			t.Fatalf("after full refund: %+v", v)
		}
		evs := h.refundedEvents()
		if len(evs) != 1 || evs[0].Amount != usd(5000) || evs[0].TotalRefunded != usd(5000) || evs[0].Status != "refunded" ||
			evs[0].PaymentID != p.ID || evs[0].CustomerID != customer.ID || evs[0].RequestedBy != admin.ID || evs[0].Reason != "requested" {
			t.Fatalf("events = %+v", evs)
		}
		readProblem(t, h.refund(p.ID, ""), http.StatusUnprocessableEntity) // nothing left
		if len(h.refundedEvents()) != 1 {
			t.Fatal("a refused refund was announced")
		}
	})

	t.Run("partial, then the rest, never more", func(t *testing.T) {
		h := newHarness(t, storetest.OpenSQLite)
		p := h.paid(customer.ID, 5000)
		rec := h.refund(p.ID, `{"amount":{"amount":2000,"currency":"USD"},"reason":"one home withdrawn"}`)
		if v := decode[view](t, rec); rec.Code != 200 || v.Status != "partially_refunded" || v.Refunded != usd(2000) {
			t.Fatalf("partial = %d %+v", rec.Code, v)
		}
		before := h.snapshot()
		for _, body := range []string{amountBody(3001), amountBody(events.MaxAmount)} {
			rec := h.refund(p.ID, body)
			pr := readProblem(t, rec, http.StatusUnprocessableEntity)
			if pr.Detail != errOverRefund.Error() {
				t.Errorf("detail = %q", pr.Detail)
			}
			// The problem says what was refunded already, so the tour
			// service can tell an admin's earlier refund from a mistake.
			if pr.PaymentID != p.ID || pr.Refunded == nil || *pr.Refunded != usd(2000) || pr.PendingRefunds == nil || *pr.PendingRefunds != usd(0) {
				t.Errorf("over-refund problem %+v, want payment_id, refunded 2000 and pending_refunds 0", pr)
			}
		}
		if h.snapshot() != before {
			t.Fatal("an over-refund changed state")
		}
		rec = h.refund(p.ID, "")
		if v := decode[view](t, rec); v.Status != "refunded" || v.Refunded != usd(5000) {
			t.Fatalf("the rest = %+v", v)
		}
		evs := h.refundedEvents()
		if len(evs) != 2 || evs[0].Amount != usd(2000) || evs[0].TotalRefunded != usd(2000) || evs[0].Status != "partially_refunded" ||
			evs[0].Reason != "one home withdrawn" || evs[1].Amount != usd(3000) || evs[1].TotalRefunded != usd(5000) {
			t.Fatalf("events = %+v", evs)
		}
		var sandboxRefunded int64
		if err := h.db.QueryRow(`SELECT refunded FROM sandbox_charges`).Scan(&sandboxRefunded); err != nil || sandboxRefunded != 5000 {
			t.Fatalf("the gateway refunded %d, %v", sandboxRefunded, err)
		}
	})

	t.Run("the same key refunds once", func(t *testing.T) {
		h := newHarness(t, storetest.OpenSQLite)
		p := h.paid(customer.ID, 5000)
		first := h.refund(p.ID, amountBody(1000), "Idempotency-Key", "cancel-tour-1")
		if first.Code != http.StatusOK {
			t.Fatalf("first = %d %s", first.Code, first.Body)
		}
		// The tour service retrying the same cancellation.
		again := h.do(&tourSvc, "POST", "/payments/"+p.ID+"/refund", amountBody(1000), "Idempotency-Key", "cancel-tour-1")
		if answerOf(again) != answerOf(first) || again.Header().Get("Idempotent-Replayed") != "true" {
			t.Fatalf("repeat = %d %s\nfirst = %s", again.Code, again.Body, first.Body)
		}
		readProblem(t, h.refund(p.ID, amountBody(999), "Idempotency-Key", "cancel-tour-1"), http.StatusUnprocessableEntity)
		if n := len(h.refundedEvents()); n != 1 || h.gw.refunds.Load() != 1 || h.count(`SELECT COUNT(*) FROM sandbox_refunds`) != 1 {
			t.Fatalf("%d events, gateway asked %d times, %d sandbox refunds; want 1 each", n, h.gw.refunds.Load(),
				h.count(`SELECT COUNT(*) FROM sandbox_refunds`))
		}
		// A key is scoped to its payment.
		q := h.paid(customer.ID, 5000)
		if rec := h.refund(q.ID, amountBody(1000), "Idempotency-Key", "cancel-tour-1"); rec.Code != http.StatusOK {
			t.Fatalf("same key on another payment = %d %s", rec.Code, rec.Body)
		}
	})

	t.Run("a failed payment is not refundable", func(t *testing.T) {
		h := newHarness(t, storetest.OpenSQLite)
		pr := readProblem(t, h.charge("k-1", chargeBody("o-1", customer.ID, 5000, tokenDeclined)), http.StatusPaymentRequired)
		before := h.snapshot()
		for _, body := range []string{"", amountBody(1)} {
			readProblem(t, h.refund(pr.PaymentID, body), http.StatusUnprocessableEntity)
		}
		if h.snapshot() != before || h.gw.refunds.Load() != 0 {
			t.Fatal("refusing to refund a failed payment changed something")
		}
	})

	t.Run("a pending payment cannot be refunded yet", func(t *testing.T) {
		h := newHarness(t, storetest.OpenSQLite)
		h.gw.afterCharge = func(ChargeResult, error) (ChargeResult, error) {
			return ChargeResult{}, errors.New("timeout")
		}
		h.charge("k-1", chargeBody("o-1", customer.ID, 5000, tokenVisa))
		var id string
		if err := h.db.QueryRow(`SELECT id FROM payments WHERE status = 'pending'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		readProblem(t, h.refund(id, ""), http.StatusConflict)
	})

	t.Run("the gateway refuses", func(t *testing.T) {
		h := newHarness(t, storetest.OpenSQLite)
		p := h.paid(customer.ID, 5000)
		h.gw.refuseRefund = func() error { return fmt.Errorf("%w: charge_disputed", errRejected) }
		pr := readProblem(t, h.refund(p.ID, amountBody(1000)), http.StatusUnprocessableEntity)
		if pr.PaymentID != p.ID || pr.RefundID == "" {
			t.Fatalf("problem = %+v", pr)
		}
		got, _ := h.store.Payment(context.Background(), p.ID)
		if got.Status != statusSucceeded || got.Refunded.Amount != 0 || len(h.refundedEvents()) != 0 {
			t.Fatalf("after a refused refund: %+v", got)
		}
		h.gw.refuseRefund = nil // the refused amount is not reserved: all of it is refundable
		if v := decode[view](t, h.refund(p.ID, "")); v.Refunded != usd(5000) {
			t.Fatalf("after: %+v", v)
		}
	})

	t.Run("the gateway does not answer", func(t *testing.T) {
		h := newHarness(t, storetest.OpenSQLite)
		p := h.paid(customer.ID, 5000)
		var once sync.Once
		h.gw.afterRefund = func(res RefundResult, err error) (RefundResult, error) {
			lost := false
			once.Do(func() { lost = true })
			if lost {
				return RefundResult{}, errors.New("timeout")
			}
			return res, err
		}
		readProblem(t, h.refund(p.ID, amountBody(1000), "Idempotency-Key", "r-1"), http.StatusServiceUnavailable)
		// The pending refund's amount is reserved: only 4000 is left, and
		// more is refused before the gateway is asked.
		asked := h.gw.refunds.Load()
		if pr := readProblem(t, h.refund(p.ID, amountBody(4001)), http.StatusUnprocessableEntity); pr.RefundID != "" || h.gw.refunds.Load() != asked ||
			pr.PendingRefunds == nil || *pr.PendingRefunds != usd(1000) {
			t.Fatalf("over-refund reached the gateway: %+v", pr)
		}
		retry := h.refund(p.ID, amountBody(1000), "Idempotency-Key", "r-1")
		if v := decode[view](t, retry); retry.Code != 200 || v.Refunded != usd(1000) {
			t.Fatalf("retry = %d %+v", retry.Code, v)
		}
		if n := h.count(`SELECT COUNT(*) FROM sandbox_refunds`); n != 1 || len(h.refundedEvents()) != 1 {
			t.Fatalf("%d sandbox refunds, %d events; want 1 each", n, len(h.refundedEvents()))
		}
	})

	t.Run("a refund left pending is finished by Run", func(t *testing.T) {
		h := newHarness(t, storetest.OpenSQLite)
		p := h.paid(customer.ID, 5000)
		h.gw.afterRefund = func(RefundResult, error) (RefundResult, error) { panic("killed") }
		if rec := h.refund(p.ID, amountBody(700)); rec.Code != http.StatusInternalServerError {
			t.Fatalf("crashing refund = %d", rec.Code)
		}
		h.gw.afterRefund = nil
		h.clock.Advance(3 * time.Minute)
		if err := h.svc.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
		got, _ := h.store.Payment(context.Background(), p.ID)
		if got.Refunded != usd(700) || got.Status != statusPartiallyRefunded {
			t.Fatalf("after Reconcile: %+v", got)
		}
		if n := h.count(`SELECT COUNT(*) FROM sandbox_refunds`); n != 1 || len(h.refundedEvents()) != 1 {
			t.Fatalf("%d sandbox refunds, %d events; want 1 each", n, len(h.refundedEvents()))
		}
	})
}

// TestConcurrentRefundsNeverExceedTheCharge: ten refunds of 1000 race for a
// payment of 5000; five succeed, five are refused, and 5000 is refunded.
func TestConcurrentRefundsNeverExceedTheCharge(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		h := newHarness(t, open)
		p := h.paid(customer.ID, 5000)
		codes := make([]int, 10)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = h.refund(p.ID, amountBody(1000)).Code
			}()
		}
		wg.Wait()
		ok, refused := 0, 0
		for _, c := range codes {
			switch c {
			case 200:
				ok++
			case 422:
				refused++
			}
		}
		if ok != 5 || refused != 5 {
			t.Fatalf("answers %v: want five 200 and five 422", codes)
		}
		if asked := h.gw.refunds.Load(); asked != 5 {
			t.Fatalf("the gateway was asked %d times; the five over the charge should have been refused before it", asked)
		}
		got, _ := h.store.Payment(context.Background(), p.ID)
		if got.Refunded != usd(5000) || got.Status != statusRefunded || len(h.refundedEvents()) != 5 {
			t.Fatalf("payment %+v, %d events", got, len(h.refundedEvents()))
		}
	})
}

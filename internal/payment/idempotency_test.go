package payment

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// answer is what a client sees of a response.
type answer struct {
	status int
	ctype  string
	body   string
}

func answerOf(rec *httptest.ResponseRecorder) answer {
	return answer{rec.Code, rec.Header().Get("Content-Type"), rec.Body.String()}
}

// chargeConcurrently sends the same request n times at once, spread over
// the handlers (processes), and returns the answers.
func chargeConcurrently(t *testing.T, h *harness, handlers []http.Handler, n int, key, body string) []answer {
	t.Helper()
	answers := make([]answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		r := httptest.NewRequest("POST", "/payments", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Idempotency-Key", key)
		r.Header.Set("Authorization", "Bearer "+h.token(cartSvc))
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			rec := httptest.NewRecorder()
			handlers[i%len(handlers)].ServeHTTP(rec, r)
			answers[i] = answerOf(rec)
		}()
	}
	close(start)
	wg.Wait()
	return answers
}

// TestConcurrentRepeatsChargeOnce is must-show 2: 20 concurrent requests
// with one key and body make one charge and get 20 identical answers, in one
// process and across two processes sharing the database.
func TestConcurrentRepeatsChargeOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		cases := []struct {
			name      string
			processes int
			method    string
			status    int
			event     string
		}{
			{"one process, paid", 1, tokenVisa, http.StatusCreated, events.TypePaymentSucceeded},
			{"one process, declined", 1, tokenDeclined, http.StatusPaymentRequired, events.TypePaymentFailed},
			{"two processes, paid", 2, tokenVisa, http.StatusCreated, events.TypePaymentSucceeded},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				// Across processes a repeat polls the database on the
				// clock, so this one runs on the wall clock.
				h := newHarness(t, open, func(cfg *Config) {
					cfg.Clock, cfg.PollInterval = clock.Real{}, 2*time.Millisecond
				})
				handlers := []http.Handler{h.handler}
				for len(handlers) < c.processes {
					handlers = append(handlers, h.process())
				}
				answers := chargeConcurrently(t, h, handlers, 20, "checkout-1", chargeBody("order-1", "cust-1", 2500, c.method))
				for i, a := range answers {
					if a != answers[0] {
						t.Fatalf("answer %d differs:\n%+v\nanswer 0:\n%+v", i, a, answers[0])
					}
				}
				if answers[0].status != c.status {
					t.Fatalf("status = %d, want %d: %s", answers[0].status, c.status, answers[0].body)
				}
				if got := h.gw.charges.Load(); got != 1 {
					t.Fatalf("the gateway was asked %d times, want 1", got)
				}
				if got := h.sandboxCharges(); got != 1 {
					t.Fatalf("%d charges in the sandbox's books, want 1", got)
				}
				if got := h.count(`SELECT COUNT(*) FROM payments`); got != 1 {
					t.Fatalf("%d payments recorded, want 1", got)
				}
				if got := len(h.outboxEvents(c.event)); got != 1 {
					t.Fatalf("%d %s events, want 1", got, c.event)
				}
			})
		}
	})
}

// process is another instance of the service on the same database (another
// process), sharing the harness's gateway wrapper so calls are counted
// together.
func (h *harness) process() http.Handler {
	h.t.Helper()
	first, firstSvc := h.handler, h.svc
	h.start()
	second := h.handler
	h.handler, h.svc = first, firstSvc
	return second
}

func TestRepeatGetsTheStoredAnswer(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	body := chargeBody("order-1", "cust-1", 2500, tokenVisa)
	first := h.charge("k-1", body)
	if first.Code != http.StatusCreated || first.Header().Get("Location") == "" || first.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("first = %d %v %s", first.Code, first.Header(), first.Body)
	}
	p := decode[view](t, first)
	if p.Status != "succeeded" || p.GatewayRef == "" || p.Amount != usd(2500) || p.CustomerID != "cust-1" ||
		len(p.ListingIDs) != 2 || !p.ScheduledAt.Equal(time.Date(2030, 3, 10, 15, 0, 0, 0, time.UTC)) {
		t.Fatalf("payment = %+v", p)
	}
	// The same request, reformatted, is the same request.
	reformatted := `{ "scheduled_at": "2030-03-10T16:00:00+01:00", "listing_ids": ["l-1", "l-2"], "payment_method": "tok_visa",
		"amount": {"currency": "USD", "amount": 2500}, "customer_id": "cust-1", "order_id": "order-1" }`
	// An admin refund in between changes the payment, not the answer.
	if rec := h.do(&admin, "POST", "/payments/"+p.ID+"/refund", ""); rec.Code != http.StatusOK {
		t.Fatalf("refund = %d %s", rec.Code, rec.Body)
	}
	h.clock.Advance(23 * time.Hour) // keys live at least 24 h
	again := h.charge("k-1", reformatted)
	if answerOf(again) != answerOf(first) || again.Header().Get("Idempotent-Replayed") != "true" ||
		again.Header().Get("Location") != first.Header().Get("Location") {
		t.Fatalf("repeat = %d %v %s\nfirst = %s", again.Code, again.Header(), again.Body, first.Body)
	}
	if h.gw.charges.Load() != 1 || h.sandboxCharges() != 1 {
		t.Fatalf("charges: gateway asked %d times, sandbox holds %d", h.gw.charges.Load(), h.sandboxCharges())
	}
}

func TestSameKeyOtherBodyIs422(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	if rec := h.charge("k-1", chargeBody("order-1", "cust-1", 2500, tokenVisa)); rec.Code != http.StatusCreated {
		t.Fatalf("first = %d %s", rec.Code, rec.Body)
	}
	before := h.snapshot()
	for _, body := range []string{
		chargeBody("order-1", "cust-1", 2501, tokenVisa),
		chargeBody("order-2", "cust-1", 2500, tokenVisa),
		chargeBody("order-1", "cust-1", 2500, tokenDeclined),
	} {
		p := readProblem(t, h.charge("k-1", body), http.StatusUnprocessableEntity)
		if !strings.Contains(p.Detail, "Idempotency-Key") {
			t.Errorf("detail = %q", p.Detail)
		}
	}
	if after := h.snapshot(); after != before {
		t.Fatalf("a refused repeat changed state:\nbefore\n%s\nafter\n%s", before, after)
	}
	if h.gw.charges.Load() != 1 {
		t.Fatalf("gateway asked %d times, want 1", h.gw.charges.Load())
	}
	// A decline is an answer like any other: replayed, never re-charged.
	declined := h.charge("k-2", chargeBody("order-3", "cust-1", 2500, tokenDeclined))
	pr := readProblem(t, declined, http.StatusPaymentRequired)
	if pr.PaymentID == "" || pr.DeclineCode != "card_declined" {
		t.Fatalf("decline problem = %+v", pr)
	}
	if answerOf(h.charge("k-2", chargeBody("order-3", "cust-1", 2500, tokenDeclined))) != answerOf(declined) {
		t.Fatal("a repeated decline answered differently")
	}
	failed, err := h.store.Payment(context.Background(), pr.PaymentID)
	if err != nil || failed.Status != statusFailed || failed.FailureReason != "card_declined" {
		t.Fatalf("declined payment = %+v, %v", failed, err)
	}
}

// TestCrashBetweenChargeAndAnswer: the gateway charged, then the request
// died before recording the outcome. The retry with the same key resumes
// and answers the charge that was made, without a second one.
func TestCrashBetweenChargeAndAnswer(t *testing.T) {
	body := chargeBody("order-1", "cust-1", 2500, tokenVisa)

	t.Run("the gateway's answer is lost", func(t *testing.T) {
		h := newHarness(t, storetest.OpenSQLite)
		var once sync.Once
		h.gw.afterCharge = func(res ChargeResult, err error) (ChargeResult, error) {
			lost := false
			once.Do(func() { lost = true })
			if lost {
				return ChargeResult{}, errors.New("read tcp: connection reset by peer")
			}
			return res, err
		}
		pr := readProblem(t, h.charge("k-1", body), http.StatusServiceUnavailable)
		if !strings.Contains(pr.Detail, "same Idempotency-Key") {
			t.Errorf("detail = %q", pr.Detail)
		}
		if h.sandboxCharges() != 1 || h.count(`SELECT COUNT(*) FROM payments WHERE status = 'pending'`) != 1 {
			t.Fatalf("after the lost answer: %d charges, %d pending payments", h.sandboxCharges(),
				h.count(`SELECT COUNT(*) FROM payments WHERE status = 'pending'`))
		}
		retry := h.charge("k-1", body)
		if retry.Code != http.StatusCreated {
			t.Fatalf("retry = %d %s", retry.Code, retry.Body)
		}
		checkOneCharge(t, h, decode[view](t, retry))
		if answerOf(h.charge("k-1", body)) != answerOf(retry) {
			t.Fatal("the next repeat answered differently")
		}
	})

	t.Run("the process dies", func(t *testing.T) {
		h := newHarness(t, storetest.OpenSQLite, func(cfg *Config) { cfg.InFlightWait = 10 * time.Minute })
		h.gw.afterCharge = func(ChargeResult, error) (ChargeResult, error) {
			panic("process killed between charge and answer")
		}
		if rec := h.charge("k-1", body); rec.Code != http.StatusInternalServerError {
			t.Fatalf("crashing request = %d %s", rec.Code, rec.Body)
		}
		if h.sandboxCharges() != 1 {
			t.Fatalf("%d charges, want 1", h.sandboxCharges())
		}
		// Restart; the dead request's lease still holds the key, so the
		// retry waits (polling) until the lease expires, then resumes.
		h.gw.afterCharge = nil
		h.start()
		pending := h.clock.Waiters() // the dead request's own timer
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() { done <- h.charge("k-1", body) }()
		if !h.clock.WaitForWaiters(pending+2, time.After(10*time.Second)) { // its timeout and its poll
			t.Fatal("the retry never started waiting")
		}
		select {
		case rec := <-done:
			t.Fatalf("the retry answered %d before the lease expired: %s", rec.Code, rec.Body)
		default:
		}
		h.clock.Advance(time.Minute) // LeaseTTL
		var retry *httptest.ResponseRecorder
		select {
		case retry = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the retry never answered")
		}
		if retry.Code != http.StatusCreated {
			t.Fatalf("retry = %d %s", retry.Code, retry.Body)
		}
		checkOneCharge(t, h, decode[view](t, retry))
	})

	t.Run("nobody retries: Run resumes it", func(t *testing.T) {
		h := newHarness(t, storetest.OpenSQLite)
		h.gw.afterCharge = func(ChargeResult, error) (ChargeResult, error) {
			panic("process killed between charge and answer")
		}
		if rec := h.charge("k-1", body); rec.Code != http.StatusInternalServerError {
			t.Fatalf("crashing request = %d", rec.Code)
		}
		h.gw.afterCharge = nil
		h.start()
		ctx := context.Background()
		if err := h.svc.Reconcile(ctx); err != nil || h.gw.charges.Load() != 1 {
			t.Fatalf("Reconcile before ReconcileAfter: %v, gateway asked %d times (want untouched)", err, h.gw.charges.Load())
		}
		h.clock.Advance(2*time.Minute + time.Second)
		if err := h.svc.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		var id string
		if err := h.db.QueryRow(`SELECT id FROM payments`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		p, _ := h.store.Payment(ctx, id)
		if p.Status != statusSucceeded {
			t.Fatalf("after Reconcile the payment is %s", p.Status)
		}
		asked := h.gw.charges.Load()
		// The cart's late retry gets the settled payment; the gateway is
		// not asked again.
		retry := h.charge("k-1", body)
		if retry.Code != http.StatusCreated || h.gw.charges.Load() != asked {
			t.Fatalf("late retry = %d %s; gateway asked %d more times", retry.Code, retry.Body, h.gw.charges.Load()-asked)
		}
		checkOneCharge(t, h, decode[view](t, retry))
	})

	t.Run("too old to resume safely", func(t *testing.T) {
		h := newHarness(t, storetest.OpenSQLite)
		h.gw.afterCharge = func(ChargeResult, error) (ChargeResult, error) { panic("killed") }
		h.charge("k-1", body)
		h.gw.afterCharge = nil
		h.clock.Advance(23*time.Hour + time.Minute) // past ResumeWindow
		if err := h.svc.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
		if h.gw.charges.Load() != 1 || h.count(`SELECT COUNT(*) FROM payments WHERE status = 'pending'`) != 1 {
			t.Fatal("Run re-sent a charge whose gateway key may have expired")
		}
	})
}

// checkOneCharge asserts p is settled on the one charge the sandbox made,
// announced once.
func checkOneCharge(t *testing.T, h *harness, p view) {
	t.Helper()
	var ref string
	if err := h.db.QueryRow(`SELECT ref FROM sandbox_charges`).Scan(&ref); err != nil {
		t.Fatal(err)
	}
	if h.sandboxCharges() != 1 || p.Status != "succeeded" || p.GatewayRef != ref {
		t.Fatalf("payment %+v; sandbox holds %d charges, ref %s", p, h.sandboxCharges(), ref)
	}
	if n := len(h.outboxEvents(events.TypePaymentSucceeded)); n != 1 {
		t.Fatalf("%d payment.succeeded events, want 1", n)
	}
}

// TestRepeatInFlight: a repeat that arrives while the first request is at
// the gateway waits for it and gets its answer; one that waits longer than
// InFlightWait gets 409.
func TestRepeatInFlight(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		body := chargeBody("order-1", "cust-1", 2500, tokenVisa)
		for _, processes := range []int{1, 2} {
			name := map[int]string{1: "same process", 2: "another process"}[processes]
			t.Run(name, func(t *testing.T) {
				h := newHarness(t, open)
				entered, release := make(chan struct{}), make(chan struct{})
				var once sync.Once
				h.gw.beforeCharge = func(context.Context, ChargeRequest) {
					first := false
					once.Do(func() { first = true })
					if first {
						close(entered)
						<-release
					}
				}
				other := h.handler
				if processes == 2 {
					other = h.process()
				}
				send := func(handler http.Handler) chan *httptest.ResponseRecorder {
					r := httptest.NewRequest("POST", "/payments", strings.NewReader(body))
					r.Header.Set("Content-Type", "application/json")
					r.Header.Set("Idempotency-Key", "k-1")
					r.Header.Set("Authorization", "Bearer "+h.token(cartSvc))
					out := make(chan *httptest.ResponseRecorder, 1)
					go func() {
						rec := httptest.NewRecorder()
						handler.ServeHTTP(rec, r)
						out <- rec
					}()
					return out
				}
				first := send(h.handler)
				<-entered
				// A repeat waiting in the same process sets one timer (its
				// InFlightWait); in another process, that and a poll.
				perWaiter := map[int]int{1: 1, 2: 2}[processes]
				base := h.clock.Waiters()
				late := send(other)
				if !h.clock.WaitForWaiters(base+perWaiter, time.After(10*time.Second)) {
					t.Fatal("the repeat never waited")
				}
				h.clock.Advance(20 * time.Second) // InFlightWait
				pr := readProblem(t, <-late, http.StatusConflict)
				if !strings.Contains(pr.Detail, "in progress") {
					t.Errorf("detail = %q", pr.Detail)
				}
				base = h.clock.Waiters()
				patient := send(other)
				if !h.clock.WaitForWaiters(base+perWaiter, time.After(10*time.Second)) {
					t.Fatal("the second repeat never waited")
				}
				close(release)
				a := <-first
				if a.Code != http.StatusCreated {
					t.Fatalf("first = %d %s", a.Code, a.Body)
				}
				if processes == 2 {
					h.clock.Advance(100 * time.Millisecond) // PollInterval
				}
				b := <-patient
				if answerOf(b) != answerOf(a) {
					t.Fatalf("the waiting repeat got %d %s, the first %d %s", b.Code, b.Body, a.Code, a.Body)
				}
				if h.gw.charges.Load() != 1 {
					t.Fatalf("gateway asked %d times, want 1", h.gw.charges.Load())
				}
			})
		}
	})
}

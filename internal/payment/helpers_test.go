package payment

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// t0 is the fake clock's start: a whole second, far from any real time.
var t0 = time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)

const webhookSecret = "whsec_test_secret_for_openhouse"

// The callers of the tests.
var (
	cartSvc   = auth.ServicePrincipal("cart")
	tourSvc   = auth.ServicePrincipal("tour")
	admin     = auth.Principal{ID: "admin-1", Role: auth.RoleAdmin}
	customer  = auth.Principal{ID: "cust-1", Role: auth.RoleCustomer}
	customer2 = auth.Principal{ID: "cust-2", Role: auth.RoleCustomer}
	provider  = auth.Principal{ID: "prov-1", Role: auth.RoleProvider}
	realtor   = auth.Principal{ID: "real-1", Role: auth.RoleRealtor}
)

// harness is the payment service on a fresh database with the sandbox
// gateway (wrapped so tests can count and break calls), a fake clock, and
// real tokens from an in-memory issuer, served through the same middleware
// as the app's.
type harness struct {
	t       *testing.T
	db      *store.DB
	clock   *clock.Fake
	store   *SQLStore
	sandbox *Sandbox
	gw      *hookGateway
	svc     *Service
	handler http.Handler
	issuer  *auth.Issuer
	cfg     Config
}

type harnessOption func(*Config)

func newHarness(t *testing.T, open storetest.Opener, opts ...harnessOption) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{t: t, clock: clock.NewFake(t0)}
	h.db = open(t, "payment")
	if err := outbox.Migrate(ctx, h.db); err != nil {
		t.Fatal(err)
	}
	var err error
	if h.store, err = NewSQLStore(ctx, h.db); err != nil {
		t.Fatal(err)
	}
	if h.sandbox, err = NewSandbox(ctx, h.db, h.clock); err != nil {
		t.Fatal(err)
	}
	h.gw = &hookGateway{next: h.sandbox}
	if h.issuer, err = auth.NewIssuer(ctx, auth.NewMemoryKeyStore(), auth.IssuerConfig{Clock: h.clock}); err != nil {
		t.Fatal(err)
	}
	h.cfg = Config{Gateway: h.gw, WebhookSecret: webhookSecret, Clock: h.clock,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&h.cfg)
	}
	h.start()
	return h
}

// start builds the service and its HTTP handler on the harness's database;
// calling it again is a process restart.
func (h *harness) start() {
	h.t.Helper()
	svc, err := New(h.store, h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.svc = svc
	mux := http.NewServeMux()
	if err := auth.Mount(mux, svc.Routes()); err != nil {
		panic(err)
	}
	v := auth.NewVerifier(h.issuer, auth.VerifierConfig{Clock: h.clock})
	h.handler = httpapi.Chain(mux, httpapi.Logging(h.cfg.Log), httpapi.Recover, auth.Authenticate(v), httpapi.MuxErrors)
}

func (h *harness) token(p auth.Principal) string {
	h.t.Helper()
	tok, _, err := h.issuer.Issue(p)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// request builds a request as p (nil: anonymous); a body is sent as
// contentType (default application/json).
func (h *harness) request(p *auth.Principal, method, path, body, contentType string) *http.Request {
	h.t.Helper()
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
	}
	if contentType == "" && body != "" {
		contentType = "application/json"
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if p != nil {
		r.Header.Set("Authorization", "Bearer "+h.token(*p))
	}
	return r
}

func (h *harness) serve(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, r)
	return rec
}

// do sends a request as p (nil: anonymous) with header name, value pairs.
func (h *harness) do(p *auth.Principal, method, path, body string, header ...string) *httptest.ResponseRecorder {
	h.t.Helper()
	r := h.request(p, method, path, body, "")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return h.serve(r)
}

// charge is POST /payments as the cart service.
func (h *harness) charge(key, body string) *httptest.ResponseRecorder {
	h.t.Helper()
	return h.do(&cartSvc, "POST", "/payments", body, "Idempotency-Key", key)
}

// chargeBody is a valid POST /payments body.
func chargeBody(order, cust string, amount int64, method string) string {
	return fmt.Sprintf(`{"order_id":%q,"customer_id":%q,"amount":{"amount":%d,"currency":"USD"},`+
		`"payment_method":%q,"listing_ids":["l-1","l-2"],"scheduled_at":"2030-03-10T15:00:00Z"}`, order, cust, amount, method)
}

// paid charges a fresh order successfully and returns the payment.
func (h *harness) paid(cust string, amount int64) view {
	h.t.Helper()
	rec := h.charge("key-"+randomID(), chargeBody("order-"+randomID(), cust, amount, tokenVisa))
	if rec.Code != http.StatusCreated {
		h.t.Fatalf("charge = %d %s", rec.Code, rec.Body)
	}
	return decode[view](h.t, rec)
}

var seq atomic.Int64

func randomID() string { return fmt.Sprintf("%d", seq.Add(1)) }

// view is the wire form of a payment, decoded independently of the package.
type view struct {
	ID            string       `json:"id"`
	OrderID       string       `json:"order_id"`
	CustomerID    string       `json:"customer_id"`
	Amount        events.Money `json:"amount"`
	Refunded      events.Money `json:"refunded"`
	Status        string       `json:"status"`
	PaymentMethod string       `json:"payment_method"`
	GatewayRef    string       `json:"gateway_ref"`
	FailureReason string       `json:"failure_reason"`
	ListingIDs    []string     `json:"listing_ids"`
	ScheduledAt   time.Time    `json:"scheduled_at"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
}

// problem is the wire form of a problem with payment's extension members.
type problem struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Status      int    `json:"status"`
	Detail      string `json:"detail"`
	Instance    string `json:"instance"`
	PaymentID   string `json:"payment_id"`
	DeclineCode string `json:"decline_code"`
	RefundID    string `json:"refund_id"`
	// With an over-refund: what was returned already, and what is on its way.
	Refunded       *events.Money `json:"refunded"`
	PendingRefunds *events.Money `json:"pending_refunds"`
	Errors         []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(rec.Body.String()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %T from %d %s: %v", v, rec.Code, rec.Body, err)
	}
	return v
}

// readProblem asserts a problem+json answer with status and returns it.
func readProblem(t *testing.T, rec *httptest.ResponseRecorder, status int) problem {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body %s", ct, rec.Body)
	}
	p := decode[problem](t, rec)
	if p.Status != status || !strings.HasPrefix(p.Type, "urn:openhouse:problem:") || p.Title == "" {
		t.Fatalf("problem = %+v", p)
	}
	return p
}

// outboxEvents returns the events of type typ in the outbox, in order.
func (h *harness) outboxEvents(typ string) []bus.Event { return outboxtest.OfType(h.t, h.db, typ) }

// count runs a COUNT(*) query.
func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.db.QueryRow(query, args...).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func (h *harness) sandboxCharges() int { return h.count(`SELECT COUNT(*) FROM sandbox_charges`) }

// snapshot is every row the service owns, to show a refused request
// changed nothing.
func (h *harness) snapshot() string {
	h.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, status, refunded, gateway_ref, failure_reason, updated_at FROM payments ORDER BY id`,
		`SELECT id, status, amount FROM refunds ORDER BY id`,
		`SELECT scope, idem_key, request_hash, status_code FROM idempotency_keys ORDER BY scope, idem_key`,
		`SELECT event_id FROM outbox ORDER BY seq`,
		`SELECT idempotency_key, refunded FROM sandbox_charges ORDER BY idempotency_key`,
		`SELECT idempotency_key FROM sandbox_refunds ORDER BY idempotency_key`,
	} {
		rows, err := h.db.Query(q)
		if err != nil {
			h.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				h.t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}

// hookGateway passes calls to next, letting a test count them, run code
// around them, or replace them.
type hookGateway struct {
	next    Gateway
	charges atomic.Int64
	refunds atomic.Int64
	// Set before the calls they affect; never changed while requests run.
	beforeCharge func(ctx context.Context, req ChargeRequest)
	afterCharge  func(res ChargeResult, err error) (ChargeResult, error)
	afterRefund  func(res RefundResult, err error) (RefundResult, error)
	// refuseRefund, when it returns an error, answers a refund in place of
	// the gateway, which never sees it.
	refuseRefund func() error
}

func (g *hookGateway) Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error) {
	g.charges.Add(1)
	if g.beforeCharge != nil {
		g.beforeCharge(ctx, req)
	}
	res, err := g.next.Charge(ctx, req)
	if g.afterCharge != nil {
		return g.afterCharge(res, err)
	}
	return res, err
}

func (g *hookGateway) Refund(ctx context.Context, req RefundRequest) (RefundResult, error) {
	g.refunds.Add(1)
	if g.refuseRefund != nil {
		if err := g.refuseRefund(); err != nil {
			return RefundResult{}, err
		}
	}
	res, err := g.next.Refund(ctx, req)
	if g.afterRefund != nil {
		return g.afterRefund(res, err)
	}
	return res, err
}

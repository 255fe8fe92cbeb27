package tour

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/auth/authtest"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
)

// tourHTTP is the harness's service behind its routes and the bearer-token
// check, as clients reach it.
type tourHTTP struct {
	srv    *httptest.Server
	issuer *auth.Issuer
}

func (h *harness) server() tourHTTP {
	h.t.Helper()
	srv, issuer := authtest.Serve(h.t, h.svc.Routes(), h.clock)
	return tourHTTP{srv: srv, issuer: issuer}
}

// do sends method path as the customer id and decodes the JSON answer.
func (c tourHTTP) do(t *testing.T, method, path, customer string) (int, map[string]any) {
	t.Helper()
	return c.send(t, method, path, auth.Principal{ID: customer, Role: auth.RoleCustomer}, nil)
}

// TestCancelOverHTTP: over HTTP, another customer's tour does not exist
// (GET and DELETE 404, nothing changes); its customer cancels it two days
// ahead (200, cancelled), which refunds the whole fee once when the
// cancellation event comes back; cancelling again is 409.
func TestCancelOverHTTP(t *testing.T) {
	h := newHarness(t)
	c := h.server()
	tr := h.book("cust-1", h.clock.Now().Add(48*time.Hour))
	path := "/tours/" + tr.ID

	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		if status, body := c.do(t, method, path, "cust-2"); status != http.StatusNotFound {
			t.Fatalf("%s by another customer = %d %v, want 404", method, status, body)
		}
	}
	if got, err := h.store.Get(context.Background(), tr.ID); err != nil || got.Status != tr.Status {
		t.Fatalf("after another customer's DELETE: %s %v, want %s", got.Status, err, tr.Status)
	}
	if status, body := c.do(t, http.MethodGet, path, "cust-1"); status != http.StatusOK || body["id"] != tr.ID {
		t.Fatalf("GET by its customer = %d %v", status, body)
	}

	status, body := c.do(t, http.MethodDelete, path, "cust-1")
	if status != http.StatusOK || body["status"] != string(statusCancelled) {
		t.Fatalf("DELETE by its customer = %d %v, want 200 cancelled", status, body)
	}
	cancelled := outboxtest.OfType(t, h.db, events.TypeTourCancelled)
	if len(cancelled) != 1 {
		t.Fatalf("%d cancellations in the outbox, want 1", len(cancelled))
	}
	for range 2 {
		if err := h.redeliver(cancelled[0]); err != nil {
			t.Fatal(err)
		}
	}
	if r := h.refunds.byKey["tour-cancel:"+tr.ID]; h.refunds.count() != 1 || r.Amount == nil || r.Amount.Amount != 4000 {
		t.Fatalf("refunds %+v, want the whole 4000 once", h.refunds.byKey)
	}
	if status, body := c.do(t, http.MethodDelete, path, "cust-1"); status != http.StatusConflict {
		t.Fatalf("DELETE again = %d %v, want 409", status, body)
	}
}

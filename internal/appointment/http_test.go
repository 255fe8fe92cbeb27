package appointment

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/auth/authtest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestHoldsOverHTTP: POST /appointments/holds as the services reach it:
// a customer may not hold (403), a bad body is a 422 naming the field and
// holds nothing, the cart holds the only realtor (201, held), a second
// tour at that time is 409 slot-taken, and DELETE frees the realtor for it.
func TestHoldsOverHTTP(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t, "appointment"), &liar{realtors: []string{"only"}})
	srv, issuer := authtest.Serve(t, f.svc.Routes(), f.clock)
	send := func(method, path string, as auth.Principal, body any) (int, map[string]any) {
		t.Helper()
		tok, _, err := issuer.Issue(as)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if len(b) > 0 {
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatalf("%s %s = %d %s: %v", method, path, resp.StatusCode, b, err)
			}
		}
		return resp.StatusCode, out
	}
	cart := auth.ServicePrincipal("cart")
	wire := func(h holdRequest) clients.HoldRequest {
		return clients.HoldRequest{HoldID: h.HoldID, CustomerID: h.CustomerID, ListingIDs: h.ListingIDs, Stops: h.Stops,
			StartsAt: h.StartsAt, EndsAt: h.EndsAt}
	}
	first, second := wire(holdFor("order-1", holdStart)), wire(holdFor("order-2", holdStart))

	if status, body := send(http.MethodPost, "/appointments/holds", auth.Principal{ID: "cust", Role: auth.RoleCustomer}, first); status != http.StatusForbidden {
		t.Fatalf("a customer's hold = %d %v, want 403", status, body)
	}
	bad := first
	bad.EndsAt = bad.StartsAt
	status, body := send(http.MethodPost, "/appointments/holds", cart, bad)
	if errs, _ := body["errors"].([]any); status != http.StatusUnprocessableEntity || len(errs) != 1 || errs[0].(map[string]any)["field"] != "ends_at" {
		t.Fatalf("a hold ending as it starts = %d %v, want 422 naming ends_at", status, body)
	}
	if status, body := send(http.MethodPost, "/appointments/holds", cart, first); status != http.StatusCreated || body["status"] != "held" {
		t.Fatalf("the first hold = %d %v, want 201 held", status, body)
	}
	if status, body := send(http.MethodPost, "/appointments/holds", cart, second); status != http.StatusConflict || body["type"] != typeSlotTaken {
		t.Fatalf("a second tour at that time = %d %v, want 409 slot-taken", status, body)
	}
	if status, body := send(http.MethodDelete, "/appointments/holds/order-1", cart, nil); status/100 != 2 {
		t.Fatalf("releasing the first hold = %d %v", status, body)
	}
	if status, body := send(http.MethodPost, "/appointments/holds", cart, second); status != http.StatusCreated {
		t.Fatalf("the second tour after the release = %d %v, want 201", status, body)
	}
}

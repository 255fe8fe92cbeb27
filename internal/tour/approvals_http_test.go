package tour

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// itemsOf are the items of a list answer.
func itemsOf(t *testing.T, body map[string]any) []map[string]any {
	t.Helper()
	raw, ok := body["items"].([]any)
	if !ok {
		t.Fatalf("no items in %v", body)
	}
	out := make([]map[string]any, len(raw))
	for i, it := range raw {
		out[i] = it.(map[string]any)
	}
	return out
}

// inboxKeys are the tour and home of each item of an approvals inbox.
func inboxKeys(t *testing.T, body map[string]any) []string {
	t.Helper()
	var out []string
	for _, it := range itemsOf(t, body) {
		out = append(out, fmt.Sprint(it["tour_id"], "/", it["listing_id"], "/", it["approval"]))
	}
	return out
}

var (
	prov1 = as("prov-1", auth.RoleProvider)
	prov2 = as("prov-2", auth.RoleProvider)
)

// TestApprovalsInboxOverHTTP: a provider's inbox lists their homes waiting
// in tours, in start order, with the deadline and never the customer; an
// admin's lists every provider's; a home that needs no approval and a tour
// that no longer waits are not in it; pages follow the cursor; customers
// have no inbox.
func TestApprovalsInboxOverHTTP(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		h := newHarnessOn(t, open)
		c := h.server()
		// o-2 starts first; o-1 waits for both homes, o-2 for the Loft only,
		// o-3 for nobody.
		for _, o := range []events.OrderPlaced{twoHomeOrder("o-1", tourStart.Add(time.Hour), "l-1", "l-2"),
			twoHomeOrder("o-2", tourStart, "l-1"), twoHomeOrder("o-3", tourStart.Add(-time.Hour))} {
			if err := placeAndPay(h.svc, o); err != nil {
				t.Fatal(err)
			}
		}
		inbox := func(p auth.Principal, query string) []string {
			t.Helper()
			status, body := c.send(t, http.MethodGet, "/tours/approvals"+query, p, nil)
			if status != http.StatusOK {
				t.Fatalf("%s's inbox = %d %v", p.ID, status, body)
			}
			return inboxKeys(t, body)
		}
		same := func(who string, got []string, want ...string) {
			t.Helper()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s's inbox %v, want %v", who, got, want)
			}
		}
		same("prov-1", inbox(prov1, ""), "o-2/l-1/pending", "o-1/l-1/pending")
		same("prov-2", inbox(prov2, ""), "o-1/l-2/pending")
		same("admin", inbox(admin, ""), "o-2/l-1/pending", "o-1/l-1/pending", "o-1/l-2/pending")

		_, body := c.send(t, http.MethodGet, "/tours/approvals", prov2, nil)
		item := itemsOf(t, body)[0]
		due := h.tour("o-1").ApprovalDue
		if item["deadline"] != due.Format(time.RFC3339) || item["scheduled_at"] != tourStart.Add(time.Hour).Format(time.RFC3339) ||
			item["title"] != "House" || item["time_zone"] != "America/Chicago" {
			t.Errorf("inbox item %v, want the deadline %v and the tour's start", item, due)
		}
		if _, ok := item["customer_id"]; ok {
			t.Errorf("the inbox names the customer: %v", item)
		}

		// One tour a page: the cursor goes on after it.
		status, first := c.send(t, http.MethodGet, "/tours/approvals?limit=1", prov1, nil)
		cursor, _ := first["next_cursor"].(string)
		if status != http.StatusOK || cursor == "" {
			t.Fatalf("first page = %d %v, want a next cursor", status, first)
		}
		same("prov-1, first page", inboxKeys(t, first), "o-2/l-1/pending")
		_, second := c.send(t, http.MethodGet, "/tours/approvals?limit=1&cursor="+url.QueryEscape(cursor), prov1, nil)
		same("prov-1, second page", inboxKeys(t, second), "o-1/l-1/pending")
		if next, ok := second["next_cursor"]; ok {
			t.Errorf("the last page has a next cursor %v", next)
		}
		if status, body := c.send(t, http.MethodGet, "/tours/approvals?cursor=not-a-cursor", prov1, nil); status != http.StatusBadRequest {
			t.Errorf("a bad cursor = %d %v, want 400", status, body)
		}
		if status, body := c.send(t, http.MethodGet, "/tours/approvals", customer("cust-1"), nil); status != http.StatusForbidden {
			t.Errorf("a customer's inbox = %d %v, want 403", status, body)
		}

		// Answered, waiting for the other home: still listed, as approved.
		if status, body := c.send(t, http.MethodPost, "/tours/o-1/stops/l-2/approve", prov2, nil); status != http.StatusOK {
			t.Fatalf("approve = %d %v", status, body)
		}
		same("prov-2 after approving", inbox(prov2, ""), "o-1/l-2/approved")
		// Every home approved: the tour no longer waits.
		if status, body := c.send(t, http.MethodPost, "/tours/o-1/stops/l-1/approve", prov1, nil); status != http.StatusOK {
			t.Fatalf("approve = %d %v", status, body)
		}
		same("prov-1 after approving", inbox(prov1, ""), "o-2/l-1/pending")
		same("prov-2 after the tour went on", inbox(prov2, ""))
	})
}

// TestAnswersOverHTTP: a provider answers for their own home only (another
// provider, a home not in the tour, a tour that does not exist: 404;
// customers and realtors: 403); approving twice is the same tour; a home
// answered one way cannot be answered the other (409), nor a home that
// needs no approval, nor one past the deadline, nor one of a cancelled
// tour; a declined home leaves the tour and shows among its declined.
func TestAnswersOverHTTP(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		h := newHarnessOn(t, open)
		c := h.server()
		for _, o := range []events.OrderPlaced{twoHomeOrder("o-1", tourStart, "l-1", "l-2"), twoHomeOrder("o-2", tourStart, "l-1"),
			twoHomeOrder("o-3", tourStart, "l-1"), twoHomeOrder("o-4", tourStart, "l-1")} {
			if err := placeAndPay(h.svc, o); err != nil {
				t.Fatal(err)
			}
		}
		h.booked("o-1", "realtor-1")
		answer := func(p auth.Principal, tourID, listingID, verb string, want int) map[string]any {
			t.Helper()
			status, body := c.send(t, http.MethodPost, "/tours/"+tourID+"/stops/"+listingID+"/"+verb, p, nil)
			if status != want {
				t.Fatalf("%s %s %s/%s = %d %v, want %d", p.ID, verb, tourID, listingID, status, body, want)
			}
			return body
		}

		before := h.tour("o-1")
		for _, verb := range []string{"approve", "decline"} {
			answer(prov2, "o-1", "l-1", verb, http.StatusNotFound) // prov-1's home
			answer(prov1, "o-1", "l-9", verb, http.StatusNotFound)
			answer(prov1, "o-9", "l-1", verb, http.StatusNotFound)
			answer(customer("cust-1"), "o-1", "l-1", verb, http.StatusForbidden)
			answer(as("realtor-1", auth.RoleRealtor), "o-1", "l-1", verb, http.StatusForbidden)
		}
		if after := h.tour("o-1"); after.Version != before.Version {
			t.Fatalf("refused answers changed the tour: version %d -> %d", before.Version, after.Version)
		}

		body := answer(prov1, "o-1", "l-1", "approve", http.StatusOK)
		stops, _ := body["stops"].([]any)
		if body["status"] != string(statusAwaitingApproval) || len(stops) != 2 || stops[0].(map[string]any)["approval"] != "approved" ||
			stops[1].(map[string]any)["approval"] != "pending" || body["approval_deadline"] == nil {
			t.Fatalf("after one approval: %v", body)
		}
		again := answer(prov1, "o-1", "l-1", "approve", http.StatusOK)
		if again["version"] != body["version"] {
			t.Fatalf("approving twice: version %v -> %v", body["version"], again["version"])
		}
		answer(prov1, "o-1", "l-1", "decline", http.StatusConflict)

		body = answer(prov2, "o-1", "l-2", "decline", http.StatusOK)
		declined, _ := body["declined"].([]any)
		if body["status"] != string(statusScheduled) || fmt.Sprint(body["listing_ids"]) != "[l-1]" || len(declined) != 1 ||
			declined[0].(map[string]any)["listing_id"] != "l-2" || declined[0].(map[string]any)["reason"] != declinedByProvider {
			t.Fatalf("after the other home was declined: %v", body)
		}
		// The provider of the home that left still gets the same answer.
		if again := answer(prov2, "o-1", "l-2", "decline", http.StatusOK); again["version"] != body["version"] {
			t.Fatalf("declining twice: version %v -> %v", body["version"], again["version"])
		}
		answer(prov2, "o-1", "l-2", "approve", http.StatusConflict)
		if n := len(outboxtest.OfType(t, h.db, events.TypeTourStopDeclined)); n != 1 {
			t.Fatalf("%d tour.stop_declined for one home declined twice", n)
		}

		// o-2's House is shown without approval.
		answer(prov2, "o-2", "l-2", "approve", http.StatusConflict)
		answer(prov2, "o-2", "l-2", "decline", http.StatusConflict)

		// At o-3's deadline, before the worker came by: closed either way.
		h.clock.Set(h.tour("o-3").ApprovalDue)
		answer(prov1, "o-3", "l-1", "approve", http.StatusConflict)
		problem := answer(prov1, "o-3", "l-1", "decline", http.StatusConflict)
		if problem["type"] != "urn:openhouse:problem:conflict" {
			t.Errorf("a late answer's problem %v", problem)
		}
		if tr := h.tour("o-3"); tr.Status != statusAwaitingApproval || len(tr.Declined) != 0 {
			t.Fatalf("a late answer changed the tour: %s %v", tr.Status, tr.Declined)
		}

		// o-4 cancelled by its customer while waiting.
		if status, body := c.send(t, http.MethodDelete, "/tours/o-4", customer("cust-1"), nil); status != http.StatusOK {
			t.Fatalf("cancel = %d %v", status, body)
		}
		answer(prov1, "o-4", "l-1", "approve", http.StatusConflict)
		answer(admin, "o-4", "l-1", "decline", http.StatusConflict)
	})
}

// TestDeclineEveryHomeOverHTTP: two providers decline both homes of a tour:
// the first home's fee is refunded when it leaves, the second cancels the
// tour (reason declined) and refunds the rest, so the customer gets back
// what they paid, once, however often the news is delivered.
func TestDeclineEveryHomeOverHTTP(t *testing.T) {
	h := newHarness(t)
	c := h.server()
	if err := placeAndPay(h.svc, twoHomeOrder("o-1", tourStart, "l-1", "l-2")); err != nil {
		t.Fatal(err)
	}
	if status, body := c.send(t, http.MethodPost, "/tours/o-1/stops/l-1/decline", prov1, nil); status != http.StatusOK ||
		body["status"] != string(statusAwaitingApproval) {
		t.Fatalf("first decline = %d %v", status, body)
	}
	status, body := c.send(t, http.MethodPost, "/tours/o-1/stops/l-2/decline", admin, nil)
	refund, _ := body["refund"].(map[string]any)
	if status != http.StatusOK || body["status"] != string(statusCancelled) || body["cancel_reason"] != declinedByProvider ||
		refund["amount"] != 4000.0 || len(body["declined"].([]any)) != 2 || body["approval_deadline"] != nil {
		t.Fatalf("last decline = %d %v, want cancelled, declined, the other 4000 refunded", status, body)
	}
	h.refundOwnEvents(events.TypeTourStopDeclined)
	h.refundOwnEvents(events.TypeTourCancelled)
	var total int64
	for _, r := range h.refunds.byKey {
		total += r.Amount.Amount
	}
	if h.refunds.count() != 2 || total != 8000 || h.refunds.byKey[declineRefundKey("o-1", "l-1")].Amount.Amount != 4000 {
		t.Fatalf("refunds %+v, want the 8000 paid back once in two parts", h.refunds.byKey)
	}
	if status, body := c.send(t, http.MethodGet, "/tours/o-1", customer("cust-1"), nil); status != http.StatusOK || body["status"] != string(statusCancelled) {
		t.Fatalf("the customer's view = %d %v", status, body)
	}
}

// TestAllApprovedGoesOnAsAssigned: once the last home is approved the tour
// takes the status its assignment gave it meanwhile, and says so once:
// unassigned (no realtor free) publishes tour.unassigned, no news yet
// leaves it pending and publishes nothing.
func TestAllApprovedGoesOnAsAssigned(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, id := range []string{"o-1", "o-2"} {
		if err := placeAndPay(h.svc, twoHomeOrder(id, tourStart, "l-1")); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.deliver(events.TypeAppointmentUnassigned, "o-1", events.AppointmentUnassigned{TourID: "o-1", CustomerID: "cust-1",
		Reason: "no_realtor", At: h.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if tr := h.tour("o-1"); tr.Status != statusAwaitingApproval || tr.Waiting != statusUnassigned {
		t.Fatalf("unassigned while waiting: %s (then %s)", tr.Status, tr.Waiting)
	}
	if n := len(outboxtest.OfType(t, h.db, events.TypeTourUnassigned)); n != 0 {
		t.Fatalf("%d tour.unassigned while waiting for approval", n)
	}
	for _, id := range []string{"o-1", "o-2"} {
		if _, err := h.svc.Approve(ctx, id, "l-1", "prov-1"); err != nil {
			t.Fatal(err)
		}
	}
	if tr := h.tour("o-1"); tr.Status != statusUnassigned {
		t.Fatalf("o-1 approved: %s, want unassigned", tr.Status)
	}
	if tr := h.tour("o-2"); tr.Status != statusPending {
		t.Fatalf("o-2 approved: %s, want pending", tr.Status)
	}
	un := outboxtest.Data[events.TourUnassigned](t, h.db, events.TypeTourUnassigned)
	if len(un) != 1 || un[0].TourID != "o-1" {
		t.Fatalf("tour.unassigned = %+v, want o-1's once", un)
	}
	if n := len(outboxtest.OfType(t, h.db, events.TypeTourScheduled)); n != 0 {
		t.Fatalf("%d tour.scheduled without a realtor booked", n)
	}
}

// TestDeclinedHomeRefundAnswers: the refund of a declined home's fee is
// asked of payment only when there is money and a payment; a full refund
// made already (by an admin) is not retried; a refusal is dead-lettered,
// an outage retried.
func TestDeclinedHomeRefundAnswers(t *testing.T) {
	h := newHarness(t)
	declined := func(paymentID string, amount int64) error {
		return h.deliver(events.TypeTourStopDeclined, "o-1", events.TourStopDeclined{
			Tour:      events.Tour{TourID: "o-1", CustomerID: "cust-1", PaymentID: paymentID},
			ListingID: "l-1", ProviderID: "prov-1", Reason: declinedByProvider, Refund: usd(amount)})
	}
	h.refunds.refuse = errors.New("payment called for nothing")
	for _, c := range []struct {
		payment string
		amount  int64
	}{{"", 4000}, {"pay-1", 0}} {
		if err := declined(c.payment, c.amount); err != nil {
			t.Errorf("payment %q, refund %d: %v, want no call", c.payment, c.amount, err)
		}
	}
	h.refunds.refuse = &clients.OverRefund{APIError: &clients.APIError{Status: http.StatusConflict}, Refunded: usd(8000)}
	if err := declined("pay-1", 4000); err != nil {
		t.Errorf("refunded in full already: %v, want done", err)
	}
	h.refunds.refuse = &clients.APIError{Status: http.StatusUnprocessableEntity}
	if err := declined("pay-1", 4000); !isPermanentError(err) {
		t.Errorf("refused: %v (%T), want a permanent error", err, err)
	}
	h.refunds.refuse = clients.ErrUnavailable
	if err := declined("pay-1", 4000); err == nil || isPermanentError(err) {
		t.Errorf("payment down: %v, want an error retried", err)
	}
	h.refunds.refuse = nil
	if err := declined("pay-1", 4000); err != nil || h.refunds.byKey[declineRefundKey("o-1", "l-1")].Amount.Amount != 4000 {
		t.Errorf("refund: %v, %+v", err, h.refunds.byKey)
	}
	if err := h.redeliver(mustEvent(t, h, events.TypeTourStopDeclined, "o-1", "not an object")); err == nil {
		t.Errorf("a stop_declined that does not decode was accepted")
	}
}

// TestMovedEarlierMovesTheDeadline: a tour awaiting approval moved closer
// keeps the deadline rule, the earlier of 4 h after the request and 2 h
// before the tour: its deadline comes forward with it (never back), an
// answer after the new deadline is 409, and the worker declines the home
// then.
func TestMovedEarlierMovesTheDeadline(t *testing.T) {
	h := newHarness(t) // now: 12:00 UTC
	c := h.server()
	if err := placeAndPay(h.svc, twoHomeOrder("o-1", tourStart, "l-1")); err != nil {
		t.Fatal(err)
	}
	if due := h.tour("o-1").ApprovalDue; !due.Equal(h.clock.Now().Add(4 * time.Hour)) {
		t.Fatalf("deadline %v, want 4 h after the request", due)
	}
	soon := h.clock.Now().Add(5 * time.Hour) // 17:00 UTC, 11:00 in Chicago
	status, body := c.send(t, http.MethodPatch, "/tours/o-1", customer("cust-1"), map[string]any{"scheduled_at": soon})
	want := soon.Add(-2 * time.Hour)
	if status != http.StatusOK || body["status"] != string(statusAwaitingApproval) || body["approval_deadline"] != want.Format(time.RFC3339) {
		t.Fatalf("moved to %v = %d %v, want the deadline at %v", soon, status, body, want)
	}
	_, inbox := c.send(t, http.MethodGet, "/tours/approvals", prov1, nil)
	if items := itemsOf(t, inbox); len(items) != 1 || items[0]["deadline"] != want.Format(time.RFC3339) {
		t.Fatalf("the inbox after the move: %v", items)
	}
	h.clock.Set(want)
	if status, body := c.send(t, http.MethodPost, "/tours/o-1/stops/l-1/approve", prov1, nil); status != http.StatusConflict {
		t.Fatalf("an answer at the new deadline = %d %v, want 409", status, body)
	}
	if err := h.svc.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if tr := h.tour("o-1"); len(tr.Declined) != 1 || tr.Declined[0].Reason != declinedNoAnswer {
		t.Fatalf("after the new deadline: %s, declined %+v", tr.Status, tr.Declined)
	}

	// Moved later, the deadline stays where it was.
	if err := placeAndPay(h.svc, twoHomeOrder("o-2", tourStart, "l-1")); err != nil {
		t.Fatal(err)
	}
	due := h.tour("o-2").ApprovalDue
	if status, body := c.send(t, http.MethodPatch, "/tours/o-2", customer("cust-1"), map[string]any{"scheduled_at": tourStart.Add(24 * time.Hour)}); status != http.StatusOK ||
		body["approval_deadline"] != due.Format(time.RFC3339) {
		t.Fatalf("moved later = %d %v, want the deadline still %v", status, body, due)
	}
}

// TestInboxPagesSkipToursWithNothingToAnswer: a provider whose home is
// shown without approval in tours that wait for another provider does not
// get pages without items ahead of their own pending homes.
func TestInboxPagesSkipToursWithNothingToAnswer(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		h := newHarnessOn(t, open)
		c := h.server()
		// o-1 and o-2 wait for prov-1's Loft only (prov-2's House is shown
		// without approval); o-3, later, waits for the House.
		for _, o := range []events.OrderPlaced{twoHomeOrder("o-1", tourStart, "l-1"), twoHomeOrder("o-2", tourStart.Add(time.Hour), "l-1"),
			twoHomeOrder("o-3", tourStart.Add(2*time.Hour), "l-2")} {
			if err := placeAndPay(h.svc, o); err != nil {
				t.Fatal(err)
			}
		}
		status, body := c.send(t, http.MethodGet, "/tours/approvals?limit=1", prov2, nil)
		if got := inboxKeys(t, body); status != http.StatusOK || fmt.Sprint(got) != "[o-3/l-2/pending]" || body["next_cursor"] != nil {
			t.Fatalf("prov-2's first page = %d %v, want o-3's House and no more", status, body)
		}
		status, body = c.send(t, http.MethodGet, "/tours/approvals?limit=1", prov1, nil)
		cursor, _ := body["next_cursor"].(string)
		if got := inboxKeys(t, body); status != http.StatusOK || fmt.Sprint(got) != "[o-1/l-1/pending]" || cursor == "" {
			t.Fatalf("prov-1's first page = %d %v", status, body)
		}
		_, body = c.send(t, http.MethodGet, "/tours/approvals?limit=1&cursor="+url.QueryEscape(cursor), prov1, nil)
		if got := inboxKeys(t, body); fmt.Sprint(got) != "[o-2/l-1/pending]" || body["next_cursor"] != nil {
			t.Fatalf("prov-1's second page = %v, want o-2's Loft and no more", body)
		}
	})
}

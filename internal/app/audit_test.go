package app_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"
)

// auditLog reads GET /iam/audit with query as token's caller.
func (c client) auditLog(token, query string) []map[string]any {
	c.t.Helper()
	status, out := c.call("GET", "/iam/audit?"+query, token, nil)
	if status != 200 {
		c.t.Fatalf("GET /iam/audit?%s = %d %v", query, status, out)
	}
	var items []map[string]any
	for _, it := range out["items"].([]any) {
		items = append(items, it.(map[string]any))
	}
	return items
}

// auditHas waits until the audit log filtered by query holds entries with
// exactly these actions, newest first, and returns them.
func (c client) auditHas(token, query string, actions ...string) []map[string]any {
	c.t.Helper()
	var items []map[string]any
	eventually(c.t, fmt.Sprintf("audit entries %v for %s", actions, query), 15*time.Second, func() bool {
		items = c.auditLog(token, query)
		if len(items) != len(actions) {
			return false
		}
		for i, a := range actions {
			if items[i]["action"] != a {
				return false
			}
		}
		return true
	})
	return items
}

func (w *world) idOf(token string) string {
	w.t.Helper()
	status, me := w.c.call("GET", "/iam/me", token, nil)
	if status != 200 {
		w.t.Fatalf("GET /iam/me = %d %v", status, me)
	}
	return me["id"].(string)
}

func side(e map[string]any, name, field string) any {
	m, _ := e[name].(map[string]any)
	return m[field]
}

// TestAuditLog: an admin verifies a provider, a customer books, an admin
// cancels the tour and the tour service refunds it; GET /iam/audit shows
// each of those actions (from iam, payment and tour) with who did it and
// the state before and after, newest first; customers get 403.
func TestAuditLog(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			cfg.AdminEmail, cfg.AdminPassword = "root-"+fmt.Sprint(time.Now().UnixNano())+"@example.com", "the admin passphrase"
			_, c := startApp(t, cfg)
			w := newWorld(t, c, cfg.AdminEmail, cfg.AdminPassword)
			adminID, providerID := w.idOf(w.admin), w.idOf(w.provider)

			verified := c.auditHas(w.admin, "action=user.verified&resource_id="+providerID, "user.verified")[0]
			if verified["actor_id"] != adminID || verified["actor_role"] != "admin" || verified["service"] != "iam" ||
				side(verified, "before", "verified") != false || side(verified, "after", "verified") != true {
				t.Fatalf("verification entry = %v", verified)
			}

			home := w.listing("Audited loft", 41.8781, -87.6298)
			w.realtor(41.88, -87.63)
			w.checkout(w.customer, []string{home}, tomorrowLocal(11), "audit-"+w.suffix)
			var tour map[string]any
			eventually(t, "the tour", 15*time.Second, func() bool {
				ts := w.tours(w.customer)
				if len(ts) == 1 {
					tour = ts[0]
				}
				return tour != nil
			})
			tourID, paymentID := tour["id"].(string), tour["payment_id"].(string)
			if status, out := c.call("DELETE", "/tours/"+tourID, w.admin, nil); status != 200 || out["status"] != "cancelled" {
				t.Fatalf("admin cancels = %d %v", status, out)
			}

			cancelled := c.auditHas(w.admin, "resource_type=tour&resource_id="+tourID, "tour.cancelled")[0]
			if cancelled["actor_id"] != adminID || cancelled["service"] != "tour" ||
				side(cancelled, "before", "status") == "cancelled" || side(cancelled, "after", "status") != "cancelled" ||
				side(cancelled, "after", "customer_id") != w.idOf(w.customer) {
				t.Fatalf("cancellation entry = %v", cancelled)
			}
			money := c.auditHas(w.admin, "resource_type=payment&resource_id="+paymentID,
				"payment.refunded", "payment.succeeded", "payment.created")
			for i, want := range []struct{ actor, before, after string }{
				{"service:tour", "succeeded", "refunded"},
				{"service:cart", "pending", "succeeded"},
				{"service:cart", "", "pending"},
			} {
				e := money[i]
				before, _ := side(e, "before", "status").(string)
				if e["actor_id"] != want.actor || e["service"] != "payment" || before != want.before || side(e, "after", "status") != want.after {
					t.Errorf("payment entry %d = %v, want %+v", i, e, want)
				}
			}
			newest, _ := time.Parse(time.RFC3339Nano, money[0]["at"].(string))
			oldest, _ := time.Parse(time.RFC3339Nano, money[2]["at"].(string))
			if newest.Before(oldest) || oldest.IsZero() {
				t.Errorf("not newest first: %v, then %v", money[0]["at"], money[2]["at"])
			}

			// Everything since the start, and only admins may look.
			all := c.auditLog(w.admin, "since="+url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)))
			if len(all) < 5 {
				t.Errorf("%d entries in the last hour, want at least 5", len(all))
			}
			if status, _ := c.call("GET", "/iam/audit", w.customer, nil); status != 403 {
				t.Errorf("a customer reading the audit log = %d, want 403", status)
			}
			if status, out := c.invalid().call("GET", "/iam/audit?since=noon", w.admin, nil); status != 400 {
				t.Errorf("a bad filter = %d %v, want 400", status, out)
			}
		})
	}
}

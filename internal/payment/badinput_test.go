package payment

import (
	"net/http"
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestBadInput sends every JSON endpoint what clients get wrong and
// attackers try. Each answer is a 4xx problem, and nothing changes: no
// payment, no key, no event, no gateway call.
func TestBadInput(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	p := h.paid(customer.ID, 5000)
	valid := chargeBody("order-x", customer.ID, 2500, tokenVisa)
	replace := func(old, new string) string { return strings.Replace(valid, old, new, 1) }
	huge := strings.Repeat("x", 100_000)

	type req struct {
		name        string
		method, url string
		body        string
		contentType string // default application/json when body is set
		key         []string
		status      int
	}
	cases := []req{
		// POST /payments
		{"no key", "POST", "/payments", valid, "", nil, 400},
		{"empty key", "POST", "/payments", valid, "", []string{""}, 400},
		{"key too long", "POST", "/payments", valid, "", []string{strings.Repeat("k", 256)}, 400},
		{"key with a control character", "POST", "/payments", valid, "", []string{"k\x01"}, 400},
		{"two keys", "POST", "/payments", valid, "", []string{"a", "b"}, 400},
		{"not JSON", "POST", "/payments", valid, "text/plain", []string{"k"}, 415},
		{"empty body", "POST", "/payments", "", "application/json", []string{"k"}, 400},
		{"malformed", "POST", "/payments", `{"order_id":`, "", []string{"k"}, 400},
		{"array", "POST", "/payments", `[]`, "", []string{"k"}, 400},
		{"trailing data", "POST", "/payments", valid + `{}`, "", []string{"k"}, 400},
		{"amount as string", "POST", "/payments", replace(`{"amount":2500,"currency":"USD"}`, `"25.00"`), "", []string{"k"}, 400},
		{"amount as float", "POST", "/payments", replace(`2500`, `25.5`), "", []string{"k"}, 400},
		{"amount overflows int64", "POST", "/payments", replace(`2500`, `9223372036854775808`), "", []string{"k"}, 400},
		{"amount as huge number", "POST", "/payments", replace(`2500`, `1e30`), "", []string{"k"}, 400},
		{"listing_ids as string", "POST", "/payments", replace(`["l-1","l-2"]`, `"l-1"`), "", []string{"k"}, 400},
		{"scheduled_at not a time", "POST", "/payments", replace(`"2030-03-10T15:00:00Z"`, `"tomorrow"`), "", []string{"k"}, 400},
		{"unknown field (card data)", "POST", "/payments", replace(`{"order_id"`, `{"card_number":"4242424242424242","order_id"`), "", []string{"k"}, 400},
		{"unknown field in amount", "POST", "/payments", replace(`"currency":"USD"`, `"currency":"USD","fx":1`), "", []string{"k"}, 400},
		{"negative amount", "POST", "/payments", replace(`2500`, `-2500`), "", []string{"k"}, 422},
		{"zero amount", "POST", "/payments", replace(`2500`, `0`), "", []string{"k"}, 422},
		{"amount over the maximum", "POST", "/payments", replace(`2500`, `100000000001`), "", []string{"k"}, 422},
		{"lower-case currency", "POST", "/payments", replace(`"USD"`, `"usd"`), "", []string{"k"}, 422},
		{"huge order id", "POST", "/payments", replace(`"order-x"`, `"`+huge+`"`), "", []string{"k"}, 422},
		{"huge method", "POST", "/payments", replace(`"tok_visa"`, `"`+huge+`"`), "", []string{"k"}, 422},
		{"override in the order id", "POST", "/payments", replace(`"order-x"`, `"order-\u202ex"`), "", []string{"k"}, 422},
		{"invisible order id", "POST", "/payments", replace(`"order-x"`, `"\u200b"`), "", []string{"k"}, 422},
		{"C1 in the order id", "POST", "/payments", replace(`"order-x"`, `"order-\u009bx"`), "", []string{"k"}, 422},
		{"missing fields", "POST", "/payments", `{}`, "", []string{"k"}, 422},
		{"null", "POST", "/payments", `null`, "", []string{"k"}, 422},
		{"body over 1 MiB", "POST", "/payments", replace(`"order-x"`, `"`+strings.Repeat("x", 1<<20)+`"`), "", []string{"k"}, 413},
		{"deep nesting", "POST", "/payments", strings.Repeat("[", 100) + strings.Repeat("]", 100), "", []string{"k"}, 400},

		// POST /payments/{id}/refund
		{"refund: malformed", "POST", "/payments/" + p.ID + "/refund", `{"amount":`, "", nil, 400},
		{"refund: amount as number", "POST", "/payments/" + p.ID + "/refund", `{"amount":5}`, "", nil, 400},
		{"refund: unknown field", "POST", "/payments/" + p.ID + "/refund", `{"everything":true}`, "", nil, 400},
		{"refund: overflow", "POST", "/payments/" + p.ID + "/refund", `{"amount":{"amount":99999999999999999999,"currency":"USD"}}`, "", nil, 400},
		{"refund: negative", "POST", "/payments/" + p.ID + "/refund", `{"amount":{"amount":-1,"currency":"USD"}}`, "", nil, 422},
		{"refund: zero", "POST", "/payments/" + p.ID + "/refund", `{"amount":{"amount":0,"currency":"USD"}}`, "", nil, 422},
		{"refund: other currency", "POST", "/payments/" + p.ID + "/refund", `{"amount":{"amount":1,"currency":"EUR"}}`, "", nil, 422},
		{"refund: huge reason", "POST", "/payments/" + p.ID + "/refund", `{"reason":"` + huge + `"}`, "", nil, 422},
		{"refund: escape in the reason", "POST", "/payments/" + p.ID + "/refund", `{"reason":"ok\u001b[2J"}`, "", nil, 422},
		{"refund: C1 in the reason", "POST", "/payments/" + p.ID + "/refund", `{"reason":"o\u0085k"}`, "", nil, 422},
		{"refund: override in the reason", "POST", "/payments/" + p.ID + "/refund", `{"reason":"\u202edetnaw"}`, "", nil, 422},
		{"refund: invisible reason", "POST", "/payments/" + p.ID + "/refund", `{"reason":"\u200b"}`, "", nil, 422},
		{"refund: bad key", "POST", "/payments/" + p.ID + "/refund", `{}`, "", []string{strings.Repeat("k", 300)}, 400},
		{"refund: not JSON", "POST", "/payments/" + p.ID + "/refund", `amount=5`, "application/x-www-form-urlencoded", nil, 415},
		{"refund: unknown payment", "POST", "/payments/nope/refund", `{}`, "", nil, 404},
		{"refund: huge id", "POST", "/payments/" + huge + "/refund", `{}`, "", nil, 404},

		// GET /payments
		{"list: limit 0", "GET", "/payments?limit=0", "", "", nil, 400},
		{"list: limit 101", "GET", "/payments?limit=101", "", "", nil, 400},
		{"list: limit not a number", "GET", "/payments?limit=ten", "", "", nil, 400},
		{"list: forged cursor", "GET", "/payments?cursor=eyJ4IjoxfQ", "", "", nil, 400},
		{"list: bad status", "GET", "/payments?status=stolen", "", "", nil, 400},
		{"list: injection in status", "GET", "/payments?status=%27%20OR%201%3D1--", "", "", nil, 400},
		{"get: huge id", "GET", "/payments/" + huge, "", "", nil, 404},
	}
	before := h.snapshot()
	asked := h.gw.charges.Load() + h.gw.refunds.Load()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			caller := &admin
			if c.url == "/payments" && c.method == "POST" {
				caller = &cartSvc
			}
			r := h.request(caller, c.method, c.url, c.body, c.contentType)
			for _, k := range c.key {
				r.Header.Add("Idempotency-Key", k)
			}
			readProblem(t, h.serve(r), c.status)
		})
	}
	if after := h.snapshot(); after != before {
		t.Fatalf("bad input changed state:\nbefore\n%s\nafter\n%s", before, after)
	}
	if h.gw.charges.Load()+h.gw.refunds.Load() != asked {
		t.Fatal("bad input reached the gateway")
	}

	t.Run("injection strings are data", func(t *testing.T) {
		evil := `'; DROP TABLE payments; --`
		body := strings.Replace(chargeBody("order-y", customer.ID, 2500, tokenVisa), `"order-y"`, `"`+evil+`"`, 1)
		rec := h.charge("k-evil", body)
		if v := decode[view](t, rec); rec.Code != http.StatusCreated || v.OrderID != evil {
			t.Fatalf("= %d %+v", rec.Code, v)
		}
		if n := h.count(`SELECT COUNT(*) FROM payments`); n != 2 {
			t.Fatalf("%d payments", n)
		}
	})
}

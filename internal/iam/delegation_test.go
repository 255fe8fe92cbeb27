package iam

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestTokenExchange: the notification service may get a realtor's token
// limited to answering assignments, and nothing more: not for a customer,
// not another scope, not with a wrong secret; another service may not at
// all.
func TestTokenExchange(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		h := newHarness(t, open, func(c *Config) {
			c.ServiceSecrets = map[string]string{"cart": "cart-secret-0123456789", "notification": "notification-secret-0123456789"}
		})
		realtor := h.register(roleRealtor, "rita")
		customer := h.register(roleCustomer, "carl")
		exchange := func(client, secret, subject, scope string) (int, string) {
			form := url.Values{"grant_type": {auth.GrantTokenExchange}, "requested_subject": {subject}, "scope": {scope}}
			req, _ := http.NewRequest("POST", h.server.URL+"/iam/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(client, secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out struct {
				AccessToken string `json:"access_token"`
			}
			_ = jsonDecode(resp, &out)
			return resp.StatusCode, out.AccessToken
		}
		status, tok := exchange("notification", "notification-secret-0123456789", realtor.id, auth.ScopeRespondToAssignment)
		if status != 200 || tok == "" {
			t.Fatalf("notification for the realtor = %d", status)
		}
		p, err := auth.NewVerifier(h.svc.KeySource(), auth.VerifierConfig{Clock: h.clock}).Verify(t.Context(), tok)
		if err != nil || p.ID != realtor.id || p.Scope != auth.ScopeRespondToAssignment || p.Actor != "service:notification" {
			t.Fatalf("the delegated token is %+v, %v", p, err)
		}
		for name, c := range map[string]struct {
			client, secret, subject, scope string
			want                           int
		}{
			"another service":  {"cart", "cart-secret-0123456789", realtor.id, auth.ScopeRespondToAssignment, 403},
			"a customer":       {"notification", "notification-secret-0123456789", customer.id, auth.ScopeRespondToAssignment, 403},
			"an unknown scope": {"notification", "notification-secret-0123456789", realtor.id, "everything", 403},
			"nobody":           {"notification", "notification-secret-0123456789", "no-such-user", auth.ScopeRespondToAssignment, 403},
			"a wrong secret":   {"notification", "guess", realtor.id, auth.ScopeRespondToAssignment, 401},
		} {
			if got, tok := exchange(c.client, c.secret, c.subject, c.scope); got != c.want || tok != "" {
				t.Errorf("%s = %d, want %d and no token", name, got, c.want)
			}
		}
	})
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }

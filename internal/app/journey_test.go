package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/platform/apidoc/apidoctest"
)

// client talks to a running app as a user would. Every request it sends
// and every answer it gets is checked against the committed OpenAPI
// document (apidoctest): an undocumented route, parameter, status, field
// or content type fails the test.
type client struct {
	t    testing.TB
	base string
	http *http.Client
	// onPurpose requests break the document on purpose (a test of bad
	// input): only their answers are checked.
	onPurpose bool
}

// invalid is c for requests that break the API document on purpose.
func (c client) invalid() client {
	c.onPurpose = true
	return c
}

// newRequest is a request whose context says whether it breaks the
// document on purpose.
func (c client) newRequest(method, path string, body io.Reader) (*http.Request, error) {
	ctx := context.Background()
	if c.onPurpose {
		ctx = apidoctest.InvalidOnPurpose(ctx)
	}
	return http.NewRequestWithContext(ctx, method, c.base+path, body)
}

func newClient(t testing.TB, base string) client {
	return client{t: t, base: base, http: apidoctest.Client(t)}
}

func (c client) call(method, path, token string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := c.newRequest(method, path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (c client) login(email, password string) string {
	c.t.Helper()
	status, out := c.call("POST", "/iam/login", "", map[string]string{"email": email, "password": password})
	if status != 200 {
		c.t.Fatalf("login %s = %d %v", email, status, out)
	}
	return out["access_token"].(string)
}

// startApp runs the app until the test ends.
func startApp(t testing.TB, cfg app.Config) (*app.App, client) {
	t.Helper()
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	return a, newClient(t, "http://"+a.Addr())
}

// TestSuspensionRevokesTokens: once an admin suspends a user, the tokens
// the user already holds stop working in every service of the process, as
// soon as the status event has travelled the bus, long before they expire;
// and they stay dead after the admin reactivates the account.
func TestSuspensionRevokesTokens(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			suffix := time.Now().Format("150405.000000")
			cfg.AdminEmail, cfg.AdminPassword = "root"+suffix+"@example.com", "the admin passphrase"
			_, c := startApp(t, cfg)
			admin := c.login(cfg.AdminEmail, cfg.AdminPassword)
			email := "suspect" + suffix + "@example.com"
			status, user := c.call("POST", "/iam/register", "", map[string]string{"email": email, "password": "a suspect passphrase", "name": "S", "role": "customer"})
			if status != 201 {
				t.Fatalf("register = %d %v", status, user)
			}
			token := c.login(email, "a suspect passphrase")
			if status, _ := c.call("GET", "/iam/me", token, nil); status != 200 {
				t.Fatalf("before suspension /iam/me = %d", status)
			}
			if status, out := c.call("PATCH", "/iam/users/"+user["id"].(string), admin, map[string]string{"status": "suspended"}); status != 200 {
				t.Fatalf("suspend = %d %v", status, out)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				status, _ := c.call("GET", "/iam/me", token, nil)
				if status == 401 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the suspended user's token still works (%d) 10s after suspension", status)
				}
				time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
			}
			if status, _ := c.call("PATCH", "/iam/users/"+user["id"].(string), admin, map[string]string{"status": "active"}); status != 200 {
				t.Fatal(status)
			}
			// A new sign-in works once the reactivation has arrived (it is
			// refused until then); the token from before the suspension
			// stays dead.
			fresh := c.login(email, "a suspect passphrase")
			c.becomes("a token issued after the reactivation", "/iam/me", fresh, 200)
			c.is("a token issued before the suspension, after the reactivation", "/iam/me", token, 401)
		})
	}
}

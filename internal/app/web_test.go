package app_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/app"
)

// TestWebApp: serve mounts the web app beside the API, the live stream
// carries events from the process's bus (under its namespace on shared
// servers), and a shutdown ends open streams at once instead of waiting
// out ShutdownTimeout for them.
func TestWebApp(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			suffix := time.Now().Format("150405.000000")
			cfg.AdminEmail, cfg.AdminPassword = "web"+suffix+"@example.com", "the admin passphrase"
			cfg.ShutdownTimeout = time.Minute
			a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			ctx, stop := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- a.Run(ctx) }()
			stopped := false
			t.Cleanup(func() {
				if !stopped {
					stop()
					<-done
				}
			})
			c := newClient(t, "http://"+a.Addr())

			resp, err := c.http.Get(c.base + "/app/customer/tours")
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(page), "/app/js/main.js") {
				t.Fatalf("GET /app/... = %d %.100s", resp.StatusCode, page)
			}

			admin := c.login(cfg.AdminEmail, cfg.AdminPassword)
			req, _ := http.NewRequest("GET", c.base+"/events/stream", nil)
			req.Header.Set("Accept", "text/event-stream")
			req.Header.Set("Authorization", "Bearer "+admin)
			resp, err = c.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			lines := make(chan string, 64)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(resp.Body)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
			waitFor := func(what, prefix string) {
				t.Helper()
				deadline := time.After(15 * time.Second)
				for {
					select {
					case l, ok := <-lines:
						if !ok {
							t.Fatalf("the stream ended before %s", what)
						}
						if strings.HasPrefix(l, prefix) {
							return
						}
					case <-deadline:
						t.Fatalf("no %s on the stream in 15 s", what)
					}
				}
			}
			waitFor("ready", "event: ready")
			email := "streamed" + suffix + "@example.com"
			if status, out := c.call("POST", "/iam/register", "", map[string]string{"email": email, "password": "a streamed passphrase", "name": "S", "role": "customer"}); status != 201 {
				t.Fatalf("register = %d %v", status, out)
			}
			waitFor("the registration", "event: openhouse.iam.user.registered.v1")

			began := time.Now()
			stop()
			stopped = true
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Run = %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("Run waited for the open stream (ShutdownTimeout is a minute)")
			}
			for range lines {
			} // the stream has ended: the channel closes
			t.Logf("shutdown with an open stream took %s", time.Since(began).Round(time.Millisecond))
		})
	}
}

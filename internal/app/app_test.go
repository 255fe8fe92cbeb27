package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/apidoc/apidoctest"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/bus/bustest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// backends are the two ways to run: everything embedded, and the real
// servers (when .ci/run provides them).
// namespaces makes the real servers' namespaces of tests running in
// parallel distinct even when they start in the same nanosecond.
var namespaces atomic.Int64

func backends(t testing.TB) map[string]app.Config {
	base := app.Config{
		HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), Services: app.ServiceNames(),
		StreamReplicas: 1, ShutdownTimeout: 10 * time.Second, LogLevel: "info", LogFormat: "json",
	}
	out := map[string]app.Config{"embedded": base}
	pg, nats, rd := os.Getenv(storetest.EnvURL), os.Getenv(bustest.EnvURL), os.Getenv("OPENHOUSE_TEST_REDIS_URL")
	if pg != "" && nats != "" && rd != "" {
		real := base
		real.DatabaseURL, real.NATSURL, real.RedisURL = pg, nats, rd
		// Each test gets its own schemas, streams and Redis keys on the
		// shared servers.
		real.Namespace = fmt.Sprintf("t%d%d", time.Now().UnixNano()%1_000_000_000_000, namespaces.Add(1))
		t.Cleanup(func() { deleteRedisKeys(t, rd, "{openhouse:availability:"+real.Namespace+"}:*") })
		out["real servers"] = real
	} else {
		t.Log("real servers not configured; .ci/run sets " + storetest.EnvURL + ", " + bustest.EnvURL + " and OPENHOUSE_TEST_REDIS_URL")
	}
	return out
}

// TestRegistrationTravelsToTheBus drives the whole path once: HTTP request,
// state and event committed together, relay, JetStream, a durable consumer.
func TestRegistrationTravelsToTheBus(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- a.Run(runCtx) }()
			defer func() {
				stop()
				if err := <-done; err != nil {
					t.Errorf("Run = %v", err)
				}
			}()

			email := "hop-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + time.Now().Format("150405.000000") + "@example.com"
			got := make(chan events.UserRegistered, 16)
			if _, err := a.Bus().Subscribe(ctx, bus.Subscription{
				Consumer: "apptest" + time.Now().Format("150405000000"), Stream: "iam",
				Handlers: map[string]bus.Handler{events.TypeUserRegistered: func(_ context.Context, ev bus.Event) error {
					var u events.UserRegistered
					if err := ev.DataAs(&u); err != nil {
						return err
					}
					got <- u
					return nil
				}},
			}); err != nil {
				t.Fatal(err)
			}

			body := `{"email":"` + strings.ToLower(email) + `","password":"a long enough passphrase","name":"Hop","role":"realtor"}`
			resp, err := apidoctest.Client(t).Post("http://"+a.Addr()+"/iam/register", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("register = %d", resp.StatusCode)
			}
			deadline := time.After(15 * time.Second)
			for {
				select {
				case u := <-got:
					if u.Email != strings.ToLower(email) {
						continue // an earlier run's user on a shared server
					}
					if u.Role != "realtor" || u.Verified || u.UserID == "" {
						t.Fatalf("event = %+v", u)
					}
					return
				case <-deadline:
					t.Fatal("user.registered never reached the bus")
				}
			}
		})
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	cfg := app.Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), Services: app.ServiceNames(),
		StreamReplicas: 0, ShutdownTimeout: time.Second, LogLevel: "info", LogFormat: "json"}
	_, err := app.New(context.Background(), cfg, slog.Default())
	if err == nil || !strings.Contains(err.Error(), "OPENHOUSE_STREAM_REPLICAS") {
		t.Fatalf("New = %v, want an error naming OPENHOUSE_STREAM_REPLICAS", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"OPENHOUSE_SERVICES": "iam", "OPENHOUSE_HTTP_ADDR": "127.0.0.1:9",
		"OPENHOUSE_SERVICE_CREDENTIALS": "cart:0123456789abcdef0123"}
	var peers []string
	for _, name := range app.ServiceNames() {
		if name != "iam" {
			peers = append(peers, name+"=http://127.0.0.1:9")
		}
	}
	env["OPENHOUSE_PEERS"] = strings.Join(peers, ",")
	cfg, err := app.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != "127.0.0.1:9" || cfg.DataDir != "./data" || len(cfg.Services) != 1 {
		t.Fatalf("cfg = %+v", cfg)
	}
	for key, val := range map[string]string{
		"OPENHOUSE_SERVICES":         "iam,unknown",
		"OPENHOUSE_SHUTDOWN_TIMEOUT": "soon",
		"OPENHOUSE_LOG_LEVEL":        "loud",
		"OPENHOUSE_REDIS_URL":        "http://x",
		"OPENHOUSE_ADMIN_EMAIL":      "root@example.com",
		"OPENHOUSE_PEERS":            "nosuch=http://x",
		"OPENHOUSE_CLOCK_OFFSET":     "-1h",
	} {
		_, err := app.ConfigFromEnv(func(k string) string {
			if k == key {
				return val
			}
			return env[k]
		})
		if err == nil || !strings.Contains(err.Error(), strings.TrimSuffix(key, "_EMAIL")) {
			t.Errorf("%s=%s: err = %v, want one naming the setting", key, val, err)
		}
	}
}

// deleteRedisKeys removes what a test left in the shared Redis.
func deleteRedisKeys(t testing.TB, url, pattern string) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Error(err)
		return
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx := context.Background()
	iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		c.Del(ctx, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("clean redis: %v", err)
	}
}

// Package bustest runs a test against every bus backend: the embedded
// JetStream server always, and a real nats-server when OPENHOUSE_TEST_NATS_URL
// names one (as .ci/run does).
package bustest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

// EnvURL names the NATS server the integration suites use.
const EnvURL = "OPENHOUSE_TEST_NATS_URL"

// Env is one isolated bus for a test: every Connect reaches the same
// streams, as separate processes of one system would.
type Env struct {
	connect func(t testing.TB) *bus.Bus
}

// Connect opens a new connection; it is closed when the test ends.
func (e Env) Connect(t testing.TB) *bus.Bus { return e.connect(t) }

// Run runs fn once per backend as a subtest named after it.
func Run(t *testing.T, fn func(t *testing.T, env Env)) {
	t.Run("embedded", func(t *testing.T) { fn(t, Embedded(t)) })
	t.Run("nats", func(t *testing.T) {
		if os.Getenv(EnvURL) == "" {
			t.Skip(EnvURL + " is not set; .ci/run sets it to run this against a real nats-server")
		}
		fn(t, Real(t))
	})
}

// Embedded starts an in-process JetStream server for the test.
func Embedded(t testing.TB) Env {
	t.Helper()
	ns, err := bus.StartEmbedded(filepath.Join(t.TempDir(), "nats"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return Env{connect: func(t testing.TB) *bus.Bus {
		return connect(t, bus.Config{Server: ns})
	}}
}

// Real uses the server at OPENHOUSE_TEST_NATS_URL under a fresh namespace,
// deleting the namespace's streams when the test ends.
func Real(t testing.TB) Env {
	t.Helper()
	url := os.Getenv(EnvURL)
	if url == "" {
		t.Skip(EnvURL + " is not set")
	}
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	ns := "t" + hex.EncodeToString(b)
	cleaner := connect(t, bus.Config{URL: url, Namespace: ns})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := cleaner.DeleteNamespace(ctx); err != nil {
			t.Errorf("delete namespace %s: %v", ns, err)
		}
	})
	return Env{connect: func(t testing.TB) *bus.Bus {
		return connect(t, bus.Config{URL: url, Namespace: ns})
	}}
}

func connect(t testing.TB, cfg bus.Config) *bus.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

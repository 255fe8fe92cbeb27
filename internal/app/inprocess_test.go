package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"
)

// The services of one process call each other through the process's own
// handler, without a socket: before Run serves the listener, a call from
// the peers' client to a service here is already answered (over the
// loopback it would wait for an accept that never comes).
func TestServicesOfOneProcessCallEachOtherInProcess(t *testing.T) {
	cfg := Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), Services: ServiceNames(),
		StreamReplicas: 1, ShutdownTimeout: 10 * time.Second, LogLevel: "info", LogFormat: "json"}
	a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.peer("listing")+"/healthz", nil)
	resp, err := a.httpClient.Do(req)
	if err != nil {
		t.Fatalf("a call to listing from this process: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz in process = %d", resp.StatusCode)
	}
}

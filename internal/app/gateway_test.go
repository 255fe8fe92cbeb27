package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/gateway"
)

func TestGatewayConfig(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	all := ""
	for _, s := range ServiceNames() {
		all += s + "=http://127.0.0.1:1/,"
	}
	cfg, err := ConfigFromEnv(env(map[string]string{"OPENHOUSE_SERVICES": "gateway",
		"OPENHOUSE_UPSTREAMS": all + "iam=http://127.0.0.1:2"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Upstreams["iam"]; len(got) != 2 || got[1] != "http://127.0.0.1:2" {
		t.Fatalf("iam upstreams = %v", got)
	}
	for name, e := range map[string]map[string]string{
		"missing service": {"OPENHOUSE_SERVICES": "gateway", "OPENHOUSE_UPSTREAMS": "iam=http://127.0.0.1:1"},
		"with a service":  {"OPENHOUSE_SERVICES": "gateway,iam", "OPENHOUSE_UPSTREAMS": all},
		"bad url":         {"OPENHOUSE_SERVICES": "gateway", "OPENHOUSE_UPSTREAMS": all + "tour=ftp://x"},
		"unknown service": {"OPENHOUSE_SERVICES": "gateway", "OPENHOUSE_UPSTREAMS": all + "nope=http://x"},
	} {
		if _, err := ConfigFromEnv(env(e)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestGatewayProcessRoutesAndReports runs the gateway process in front of a
// stand-in for every service and checks routing, /readyz and shutdown.
func TestGatewayProcessRoutesAndReports(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "served "+r.URL.Path)
	}))
	defer upstream.Close()
	cfg := Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), Services: []string{GatewayName},
		StreamReplicas: 1, ShutdownTimeout: 5e9, LogLevel: "info", LogFormat: "json", Upstreams: map[string][]string{}}
	for _, s := range ServiceNames() {
		cfg.Upstreams[s] = []string{upstream.URL}
	}
	g, err := NewGateway(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	base := "http://" + g.Addr()
	for _, path := range []string{"/tours/abc", "/.well-known/jwks.json", "/readyz"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		if path != "/readyz" && string(body) != "served "+path {
			t.Fatalf("%s: %q", path, body)
		}
		if path == "/readyz" && !strings.Contains(string(body), `"upstreams":"ok"`) {
			t.Fatalf("readyz: %s", body)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestGatewaySendsPlacesToTheirHost: the places API is mounted only in the
// processes of PlacesHost, so the gateway must send /places there.
func TestGatewaySendsPlacesToTheirHost(t *testing.T) {
	for _, r := range gateway.ContractRoutes {
		if r.Prefix == "/places" {
			if r.Service != PlacesHost {
				t.Fatalf("the gateway sends /places to %s; the places API runs with %s", r.Service, PlacesHost)
			}
			return
		}
	}
	t.Fatal("the gateway has no route for /places")
}

package cluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// natsServerBin is nats-server NATSVersion from $(go env GOPATH)/bin, which
// .ci/run installs; tests that need it skip when it is absent rather than
// spend a minute compiling it.
func natsServerBin(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		t.Skip("no go env:", err)
	}
	bin := filepath.Join(strings.TrimSpace(string(out)), "bin", "nats-server")
	v, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.Contains(string(v), NATSVersion) {
		t.Skipf("nats-server %s not installed in GOPATH/bin (go install github.com/nats-io/nats-server/v2@%s)", NATSVersion, NATSVersion)
	}
	return bin
}

// freeBase finds a base port whose 200 ports above are free on loopback.
func freeBase(t *testing.T) int {
	t.Helper()
	for base := 27200 + os.Getpid()%40*200; base < 64000; base += 200 {
		ok := true
		for _, off := range []int{0, 10, 11, 12, 20, 21, 22, 30, 31, 32, 100, 101, 170, 171} {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+off))
			if err != nil {
				ok = false
				break
			}
			ln.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

// testOptions are a cluster's options for a test in its own run directory.
func testOptions(t *testing.T, natsBin string) Options {
	return Options{
		RunDir: t.TempDir(), Instances: 1, Host: "127.0.0.1", BasePort: freeBase(t),
		DatabaseURL: "postgres://postgres@127.0.0.1:5432/unused?sslmode=disable", RedisURL: "redis://127.0.0.1:6379/15",
		Namespace: "ptest", OpenhouseBin: "/bin/false", NATSBin: natsBin,
		AdminEmail: "admin@example.com", AdminPassword: "admin-password-123", BcryptCost: bcrypt.MinCost,
	}
}

// startNATS starts only the NATS nodes of c and stops them at the end.
func startNATS(t *testing.T, c *Cluster) {
	t.Helper()
	t.Cleanup(c.Down)
	if err := c.writeConfigs(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range c.T.Nodes {
		names = append(names, n.Name)
	}
	if err := c.startAll(context.Background(), names); err != nil {
		t.Fatal(err)
	}
}

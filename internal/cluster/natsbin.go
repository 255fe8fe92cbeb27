package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// NATSVersion is the nats-server the cluster runs: the version compiled
// into openhouse for the embedded mode (go.mod), so both modes behave alike.
const NATSVersion = "v2.15.2"

// EnsureNATSServer returns the path of nats-server NATSVersion in
// $(go env GOPATH)/bin, `go install`ing it from the module proxy first if it
// is missing or another version.
func EnsureNATSServer(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOPATH: %w", err)
	}
	gopath := strings.Split(strings.TrimSpace(string(out)), string(os.PathListSeparator))[0]
	bin := filepath.Join(gopath, "bin", "nats-server")
	if v, err := exec.CommandContext(ctx, bin, "--version").Output(); err == nil && strings.Contains(string(v), NATSVersion) {
		return bin, nil
	}
	install := exec.CommandContext(ctx, "go", "install", "github.com/nats-io/nats-server/v2@"+NATSVersion)
	install.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if msg, err := install.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install nats-server %s: %w: %s", NATSVersion, err, msg)
	}
	return bin, nil
}

// RandomSecret returns a function giving each name its own random secret,
// the same one every time it is asked.
func RandomSecret(known map[string]string) func(string) string {
	return func(name string) string {
		if s, ok := known[name]; ok {
			return s
		}
		b := make([]byte, 18)
		if _, err := rand.Read(b); err != nil {
			panic(err) // crypto/rand does not fail on Linux
		}
		known[name] = hex.EncodeToString(b)
		return known[name]
	}
}

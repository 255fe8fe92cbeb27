package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// parsePeers reads OPENHOUSE_PEERS: "iam=http://10.0.0.5:8080,listing=http://...".
// A service that runs in this process needs no entry: its peers reach it on
// this process's own listener.
func parsePeers(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, raw, ok := strings.Cut(part, "=")
		if !ok || !slices.Contains(ServiceNames(), name) {
			return nil, fmt.Errorf("OPENHOUSE_PEERS: %q is not service=URL for a known service", part)
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("OPENHOUSE_PEERS: %s: %q is not an http(s) URL", name, raw)
		}
		out[name] = strings.TrimSuffix(raw, "/")
	}
	return out, nil
}

// localURL turns a listener address into a URL peers in this process can
// call: a wildcard host becomes loopback. The process's client serves these
// calls in-process (httpapi.InProcess).
func localURL(addr string) string { return "http://" + httpapi.LocalHost(addr) }

// serviceSecrets returns the client secret of every service identity: from
// OPENHOUSE_SERVICE_CREDENTIALS when set, otherwise fresh random ones, which
// work only when every service runs in this one process.
func serviceSecrets(configured map[string]string, allLocal bool) (map[string]string, error) {
	if len(configured) > 0 {
		return configured, nil
	}
	if !allLocal {
		return nil, errors.New("OPENHOUSE_SERVICE_CREDENTIALS must be set when services run in several processes")
	}
	out := map[string]string{}
	for _, name := range ServiceNames() {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		out[name] = hex.EncodeToString(b)
	}
	return out, nil
}

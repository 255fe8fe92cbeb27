package app_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/apidoc/apidoctest"
	"github.com/openhouse/openhouse/internal/platform/auth"
)

// pathParam matches the {name} parts of a route pattern.
var pathParam = regexp.MustCompile(`\{[a-z_]+\$?\}`)

// FuzzAPI sends arbitrary query strings and bodies to every route of the
// authorization table, as a caller the route admits, on one running system:
// every decoder of every service (JSON bodies, query parameters, cursors,
// path ids) sees the fuzzer's input. Every answer must be a success or a
// problem+json 4xx: never a 5xx, a panic or a hang.
func FuzzAPI(f *testing.F) {
	cfg := withServiceSecrets(backends(f)["embedded"])
	cfg.AdminEmail, cfg.AdminPassword = "root@example.com", "the admin passphrase"
	a, c := startApp(f, cfg)
	tokens := map[auth.Role]string{auth.RoleAdmin: c.login(cfg.AdminEmail, cfg.AdminPassword)}
	for i, role := range []auth.Role{auth.RoleCustomer, auth.RoleProvider, auth.RoleRealtor} {
		email := fmt.Sprintf("fuzz-%d@example.com", i)
		status, u := c.call("POST", "/iam/register", "", map[string]string{"email": email, "password": "a decent passphrase", "name": "Fuzz", "role": string(role)})
		if status != 201 {
			f.Fatalf("register = %d %v", status, u)
		}
		c.call("PATCH", "/iam/users/"+u["id"].(string), tokens[auth.RoleAdmin], map[string]bool{"verified": true})
		tokens[role] = c.login(email, "a decent passphrase")
	}
	var routes []auth.Route
	for _, rt := range a.Routes() {
		// A live stream stays open by design; it has no input to fuzz.
		if !strings.Contains(rt.Pattern, "/events/stream") {
			routes = append(routes, rt)
		}
	}
	tokenFor := func(rt auth.Route) string {
		for _, role := range []auth.Role{auth.RoleCustomer, auth.RoleProvider, auth.RoleRealtor, auth.RoleAdmin} {
			if rt.Rule.Allows(auth.Principal{ID: "x", Role: role}) {
				return tokens[role]
			}
		}
		if len(rt.Rule.Services) > 0 {
			return serviceToken(f, c, cfg, rt.Rule.Services[0])
		}
		return ""
	}
	callers := make([]string, len(routes))
	for i, rt := range routes {
		callers[i] = tokenFor(rt)
		f.Add(uint8(i), "", "", []byte(`{}`))
		f.Add(uint8(i), "limit=5&cursor=eyJ4IjoxfQ", "0193f7a2-0000-7000-8000-000000000000", []byte(`{"name":"x","amount":{"amount":-1,"currency":"USD"}}`))
	}
	for i, rt := range routes {
		if rt.Pattern == "GET /availability/slots" {
			f.Add(uint8(i), "lat=41.9&lng=-87.6&from=2026-12-01T15:00:00Z&to=2026-12-08T15:00:00Z&step=1m&length=9999999999h", "", []byte(nil))
			f.Add(uint8(i), "lat=41.9&lng=-87.6&from=2026-12-01T15:00:00Z&from=1970-01-01T00:00:00Z&to=2026-12-01T16:00:00Z&to=2026-12-01T14:00:00Z&length=1h", "", []byte(nil))
		}
	}
	f.Add(uint8(0), "near=91,181&radius_km=1e400", "..%2F..", []byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`))

	f.Fuzz(func(t *testing.T, route uint8, query, id string, body []byte) {
		i := int(route) % len(routes)
		method, path, _ := strings.Cut(routes[i].Pattern, " ")
		path = strings.TrimSuffix(pathParam.ReplaceAllStringFunc(path, func(string) string { return urlSegment(id) }), "/")
		if path == "" {
			path = "/"
		}
		url := c.base + path
		if query != "" {
			url += "?" + requestTargetSafe(query)
		}
		req, err := http.NewRequestWithContext(apidoctest.InvalidOnPurpose(t.Context()), method, url, strings.NewReader(string(body)))
		if err != nil {
			t.Skip("not a URL")
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("fuzz-%x", body))
		if callers[i] != "" {
			req.Header.Set("Authorization", "Bearer "+callers[i])
		}
		resp, err := apidoctest.Client(t).Do(req) // checked against the document, reported on this input's t
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s with %q: %d", method, url, body, resp.StatusCode)
		}
		if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s %s: %d without problem+json", method, url, resp.StatusCode)
		}
	})
}

// requestTargetSafe percent-encodes the bytes that may not appear raw in
// an HTTP request target (spaces, control bytes) and '#'. Go's client sends
// a query as it is, so "a b" would make the request line malformed and the
// server would answer its own plain-text 400 before any handler ran: a
// finding about the harness, not the API (testdata/fuzz/FuzzAPI holds the
// input that found it).
func requestTargetSafe(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		if c := q[i]; c <= ' ' || c == 0x7f || c == '#' {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// urlSegment makes the fuzzer's id one path segment.
func urlSegment(id string) string {
	if id == "" {
		return "none"
	}
	return strings.NewReplacer("/", "%2F", "?", "%3F", "#", "%23", " ", "%20").Replace(id)
}

// Package apidoctest checks, in tests, that the HTTP API behaves as its
// OpenAPI document says: Transport validates every request a test client
// sends and every answer it receives against the committed document
// (docs/openapi.json, kept equal to the code's by the app's tests).
package apidoctest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/apidoc"
)

// DocumentPath is the committed OpenAPI document, relative to the module
// root.
const DocumentPath = "docs/openapi.json"

var (
	loadOnce  sync.Once
	validator *apidoc.Validator
	loadErr   error
)

// Validator is the validator of the committed document, loaded once per
// test binary.
func Validator(t testing.TB) *apidoc.Validator {
	t.Helper()
	loadOnce.Do(func() {
		var root string
		root, loadErr = ModuleRoot()
		if loadErr != nil {
			return
		}
		var raw []byte
		raw, loadErr = os.ReadFile(filepath.Join(root, DocumentPath))
		if loadErr != nil {
			return
		}
		validator, loadErr = apidoc.NewValidator(raw)
	})
	if loadErr != nil {
		t.Fatalf("apidoctest: %v", loadErr)
	}
	return validator
}

// ModuleRoot is the directory holding go.mod, found from the working
// directory (a test runs in its package's directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

type invalidKey struct{}

// InvalidOnPurpose marks a request that breaks the document on purpose
// and may even be taken (a fuzzed body, a fuzzed path): its answer is
// still checked against the route it names, the request itself is not;
// one that names no route is not checked at all.
func InvalidOnPurpose(ctx context.Context) context.Context {
	return context.WithValue(ctx, invalidKey{}, true)
}

// Client is an http.Client whose transport checks every exchange against
// the committed document and reports mismatches as t's errors.
func Client(t testing.TB) *http.Client {
	return &http.Client{Transport: Transport(t, nil)}
}

// Transport wraps base (nil: http.DefaultTransport) with the checks. A
// mismatch is reported with t.Errorf and the exchange goes on, so a test
// sees the answer it would have seen and reports every mismatch:
//
//   - a request the server took (an answer below 400) must match the
//     document: parameters (none undeclared), headers, body; one it
//     refused is a test of bad input, and only its answer is checked;
//   - a path or method the document lacks must get the mux's 404 or 405;
//   - every answer must be documented for its route: status, content
//     type, headers, body (no undeclared field).
func Transport(t testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{v: Validator(t), base: base, t: t}
}

type transport struct {
	v    *apidoc.Validator
	base http.RoundTripper
	t    testing.TB
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	if req.Method == http.MethodOptions && req.Header.Get("Access-Control-Request-Method") != "" {
		// A CORS preflight: the middleware answers it for every path;
		// the document describes the requests it clears.
		return tr.base.RoundTrip(req)
	}
	onPurpose, _ := req.Context().Value(invalidKey{}).(bool)
	ex, routeErr := tr.v.Route(req, body)
	var reqErr error
	if ex != nil && !onPurpose {
		reqErr = tr.v.Request(ex)
	}
	resp, err := tr.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if routeErr != nil {
		// A path or method the document lacks: the server must say so too
		// (the mux's 404 or 405, or its redirect to a clean path); anything
		// else is a route it serves undocumented.
		switch resp.StatusCode {
		case http.StatusNotFound, http.StatusMethodNotAllowed,
			http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect: // the mux cleaning a path
		default:
			if !onPurpose {
				tr.t.Errorf("apidoctest: the server answered %d: %s", resp.StatusCode, short(routeErr))
			}
		}
		return resp, nil
	}
	if reqErr != nil && resp.StatusCode < 400 {
		// The server took a request the document calls invalid: the
		// document is wrong. (A refused request is a test of bad input;
		// its answer is checked below.)
		tr.t.Errorf("apidoctest: answered %d to %s", resp.StatusCode, short(reqErr))
	}
	if apidoc.IsStream(resp.Header) {
		if err := tr.v.Response(ex, resp.StatusCode, resp.Header, nil); err != nil {
			tr.t.Errorf("apidoctest: %s", short(err))
		}
		return resp, nil
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(got))
	if err := tr.v.Response(ex, resp.StatusCode, resp.Header, got); err != nil {
		tr.t.Errorf("apidoctest: %s\nbody: %.600s", short(err), got)
	}
	return resp, nil
}

// short cuts a validation error before the schema openapi3filter appends
// (the document shows it).
func short(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "\nSchema:"); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

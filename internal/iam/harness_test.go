package iam

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/apidoc/apidoctest"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// cheap keeps tests fast; TestDefaultPasswordParamsMeetOWASP covers the
// production costs.
var cheap = PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}

// harness is the iam service behind its HTTP API, as the app mounts it.
type harness struct {
	t      testing.TB
	svc    *Service
	db     *store.DB
	store  *SQLStore
	clock  *clock.Fake
	server *httptest.Server
}

func newHarness(t testing.TB, open storetest.Opener, configure ...func(*Config)) *harness {
	t.Helper()
	ctx := context.Background()
	db := open(t, "iam")
	if err := outbox.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	c := clock.NewFake(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	st, err := NewSQLStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Passwords:      cheap,
		ServiceSecrets: map[string]string{"cart": "cart-secret-0123456789"},
		Clock:          c,
		Log:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, f := range configure {
		f(&cfg)
	}
	svc, err := New(ctx, st, NewSQLKeyStore(db), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, svc: svc, db: db, store: st, clock: c}
	// Revocations reach verifiers through the bus (internal/app); here the
	// tests read the events from the outbox instead.
	verifier := auth.NewVerifier(svc.KeySource(), auth.VerifierConfig{Clock: c})
	mux := http.NewServeMux()
	if err := auth.Mount(mux, svc.Routes()); err != nil {
		panic(err)
	}
	h.server = httptest.NewServer(httpapi.Chain(mux, httpapi.Recover, auth.Authenticate(verifier), httpapi.MuxErrors))
	t.Cleanup(h.server.Close)
	return h
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// do sends a JSON request with an optional bearer token.
func (h *harness) do(method, path, token string, body any) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.server.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := apidoctest.Client(h.t).Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

type account struct {
	id, email, password, token string
	role                       role
}

// register creates an account and signs it in.
func (h *harness) register(role role, name string) account {
	h.t.Helper()
	a := account{email: name + "@example.com", password: "a passphrase for " + name, role: role}
	resp := h.do("POST", "/iam/register", "", map[string]string{"email": a.email, "password": a.password, "name": name, "role": string(role)})
	if resp.status != http.StatusCreated {
		h.t.Fatalf("register %s: %d %s", name, resp.status, resp.body)
	}
	a.id = resp.json(h.t)["id"].(string)
	a.token = h.login(a.email, a.password)
	return a
}

func (h *harness) admin() account {
	h.t.Helper()
	a := account{email: "admin@example.com", password: "the admin passphrase", role: roleAdmin}
	if _, err := h.svc.EnsureAdmin(context.Background(), a.email, a.password); err != nil {
		h.t.Fatal(err)
	}
	u, err := h.store.UserByEmail(context.Background(), a.email)
	if err != nil {
		h.t.Fatal(err)
	}
	a.id = u.ID
	a.token = h.login(a.email, a.password)
	return a
}

func (h *harness) login(email, password string) string {
	h.t.Helper()
	resp := h.do("POST", "/iam/login", "", map[string]string{"email": email, "password": password})
	if resp.status != http.StatusOK {
		h.t.Fatalf("login %s: %d %s", email, resp.status, resp.body)
	}
	return resp.json(h.t)["access_token"].(string)
}

// outboxEvents are the events of type typ iam has written, in order.
func (h *harness) outboxEvents(typ string) []bus.Event { return outboxtest.OfType(h.t, h.db, typ) }

// outboxTypes lists the types of the events iam has written, in order.
func (h *harness) outboxTypes() []string { return outboxtest.Types(h.t, h.db) }

package iam

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/auth/authtest"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

func TestRegisterRules(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	cases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"customer", `{"email":"Ann@Example.com","password":"a fine passphrase","name":"Ann","role":"customer"}`, 201, ""},
		{"duplicate email in another case", `{"email":"ann@example.COM","password":"a fine passphrase","name":"Ann","role":"customer"}`, 409, ""},
		{"admin cannot self-register", `{"email":"x@example.com","password":"a fine passphrase","name":"X","role":"admin"}`, 422, "role"},
		{"short password", `{"email":"x@example.com","password":"short","name":"X","role":"customer"}`, 422, "password"},
		{"common password", `{"email":"x@example.com","password":"iloveyou","name":"X","role":"customer"}`, 422, "password"},
		{"common password in capitals", `{"email":"x@example.com","password":"BASEBALL1","name":"X","role":"customer"}`, 422, "password"},
		{"64 characters is fine", `{"email":"long@example.com","password":"` + strings.Repeat("wxyz", 4) + strings.Repeat("a fine phrase! ", 3) + strings.Repeat("q", 3) + `","name":"X","role":"customer"}`, 201, ""},
		{"129 characters is too long", `{"email":"x@example.com","password":"` + strings.Repeat("a", 129) + `","name":"X","role":"customer"}`, 422, "password"},
		{"bad email", `{"email":"not-an-email","password":"a fine passphrase","name":"X","role":"customer"}`, 422, "email"},
		{"display-name email", `{"email":"X <x@example.com>","password":"a fine passphrase","name":"X","role":"customer"}`, 422, "email"},
		{"empty name", `{"email":"x@example.com","password":"a fine passphrase","name":"  ","role":"customer"}`, 422, "name"},
		{"unknown field", `{"email":"x@example.com","password":"a fine passphrase","name":"X","role":"customer","verified":true}`, 400, ""},
		{"wrong type", `{"email":1,"password":"a fine passphrase","name":"X","role":"customer"}`, 400, ""},
		{"malformed", `{"email":`, 400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := h.do("POST", "/iam/register", "", c.body)
			if resp.status != c.status {
				t.Fatalf("status = %d %s, want %d", resp.status, resp.body, c.status)
			}
			if c.status >= 400 && resp.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("content type = %q", resp.header.Get("Content-Type"))
			}
			if c.field != "" && !strings.Contains(string(resp.body), `"field":"`+c.field+`"`) {
				t.Fatalf("problem does not name %s: %s", c.field, resp.body)
			}
			if c.status == 201 && strings.Contains(string(resp.body), "argon2") {
				t.Fatal("the password hash leaked")
			}
		})
	}
	// Providers and realtors wait for verification; customers do not.
	for role, verified := range map[role]bool{roleCustomer: true, roleProvider: false, roleRealtor: false} {
		resp := h.do("POST", "/iam/register", "", map[string]string{"email": string(role) + "@v.example", "password": "a fine passphrase", "name": "V", "role": string(role)})
		if got := resp.json(t)["verified"]; got != verified {
			t.Errorf("%s starts verified=%v, want %v", role, got, verified)
		}
	}
	if got := h.outboxTypes(); len(got) != 5 || got[0] != events.TypeUserRegistered {
		t.Fatalf("outbox = %v, want 5 user.registered events (one per account)", got)
	}
}

func TestDefaultPasswordParamsMeetOWASP(t *testing.T) {
	p := defaultPasswordParams
	if p.MemoryKiB < 19*1024 || p.Time < 2 || p.Threads < 1 {
		t.Fatalf("defaults %+v are below OWASP's m=19MiB t=2 p=1", p)
	}
	hash, err := hashPassword("correct horse battery staple", p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not argon2id with the default costs", hash)
	}
	for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapl": false, "": false} {
		if ok, err := checkPassword(hash, pw); err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v", pw, ok, err)
		}
	}
	if _, err := checkPassword("$argon2id$v=19$garbage", "x"); err == nil {
		t.Error("a malformed hash was accepted")
	}
}

func TestLogin(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	a := h.register(roleCustomer, "ann")
	unknown := h.do("POST", "/iam/login", "", map[string]string{"email": "nobody@example.com", "password": "whatever it is"})
	wrong := h.do("POST", "/iam/login", "", map[string]string{"email": a.email, "password": "not the password"})
	if unknown.status != 401 || wrong.status != 401 {
		t.Fatalf("unknown email %d, wrong password %d; want 401 both", unknown.status, wrong.status)
	}
	if strip(unknown.body) != strip(wrong.body) {
		t.Fatalf("answers differ, which tells whether the account exists:\n%s\n%s", unknown.body, wrong.body)
	}
	ok := h.do("POST", "/iam/login", "", map[string]string{"email": strings.ToUpper(a.email), "password": a.password})
	if ok.status != 200 {
		t.Fatalf("login = %d %s", ok.status, ok.body)
	}
	body := ok.json(t)
	if body["token_type"] != "Bearer" || body["expires_in"].(float64) != 900 || ok.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("login answer = %v", body)
	}
	claims := decodeClaims(t, body["access_token"].(string))
	if claims["sub"] != a.id || claims["role"] != "customer" || claims["iss"] != "openhouse" || fmt.Sprint(claims["aud"]) != "[openhouse]" {
		t.Fatalf("claims = %v", claims)
	}
}

// strip removes the instance member, which differs only by request.
func strip(b []byte) string {
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	delete(m, "instance")
	out, _ := json.Marshal(m)
	return string(out)
}

func decodeClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func header(t *testing.T, token string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}

// TestBruteForce: 100 wrong passwords for one account from one client are
// refused after a few, while the real user, signing in from another client,
// still gets in; the attacker's client is refused even with the right
// password until the window passes.
func TestBruteForce(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	victim := h.register(roleCustomer, "victim")
	ctx := context.Background()
	refused := 0
	for i := range 100 {
		_, err := h.svc.Login(ctx, victim.email, fmt.Sprintf("guess number %d", i), "203.0.113.9")
		var throttled throttledError
		switch {
		case err == nil:
			t.Fatal("a wrong password logged in")
		case errorsAs(err, &throttled):
			refused++
		}
	}
	if refused < 90 {
		t.Fatalf("only %d of 100 guesses were refused before checking the password", refused)
	}
	if _, err := h.svc.Login(ctx, victim.email, victim.password, "198.51.100.7"); err != nil {
		t.Fatalf("the real user from another client was locked out: %v", err)
	}
	if _, err := h.svc.Login(ctx, victim.email, victim.password, "203.0.113.9"); err == nil {
		t.Fatal("the attacking client got in while throttled")
	}
	h.clock.Advance(16 * time.Minute)
	if _, err := h.svc.Login(ctx, victim.email, victim.password, "203.0.113.9"); err != nil {
		t.Fatalf("after the window the client is still refused: %v", err)
	}
	// Over HTTP the refusal is a 429 with Retry-After.
	for range 6 {
		h.do("POST", "/iam/login", "", map[string]string{"email": victim.email, "password": "wrong wrong wrong"})
	}
	resp := h.do("POST", "/iam/login", "", map[string]string{"email": victim.email, "password": victim.password})
	if resp.status != http.StatusTooManyRequests || resp.header.Get("Retry-After") == "" {
		t.Fatalf("throttled login = %d (Retry-After %q), want 429 with Retry-After", resp.status, resp.header.Get("Retry-After"))
	}
}

// TestDistributedGuessing: guesses from many addresses refuse new
// addresses once the account-wide limit is reached, but a client that has
// signed in before still gets in.
func TestDistributedGuessing(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	victim := h.register(roleCustomer, "victim")
	ctx := context.Background()
	if _, err := h.svc.Login(ctx, victim.email, victim.password, "198.51.100.7"); err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		_, _ = h.svc.Login(ctx, victim.email, "guess", fmt.Sprintf("10.0.%d.%d", i/200, i%200))
	}
	var throttled throttledError
	if _, err := h.svc.Login(ctx, victim.email, "guess", "10.9.9.9"); !errorsAs(err, &throttled) {
		t.Fatalf("a fresh address guessing after the account-wide limit = %v, want throttled", err)
	}
	if _, err := h.svc.Login(ctx, victim.email, victim.password, "198.51.100.7"); err != nil {
		t.Fatalf("the user's known client was refused: %v", err)
	}
}

func TestServiceTokens(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	ts := auth.NewTokenSource(h.server.URL+"/iam/token", auth.ServiceCredential{ClientID: "cart", Secret: "cart-secret-0123456789"}, nil, h.clock)
	tok, err := ts.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := decodeClaims(t, tok); c["role"] != "service" || c["svc"] != "cart" {
		t.Fatalf("claims = %v", c)
	}
	// A service identity is not a user: it cannot use user endpoints.
	if resp := h.do("GET", "/iam/me", tok, nil); resp.status != http.StatusForbidden {
		t.Fatalf("service token on /iam/me = %d, want 403", resp.status)
	}
	bad := auth.NewTokenSource(h.server.URL+"/iam/token", auth.ServiceCredential{ClientID: "cart", Secret: "wrong-secret-0123456789"}, nil, h.clock)
	if _, err := bad.Token(context.Background()); err == nil {
		t.Fatal("a wrong secret got a token")
	}
	unknown := auth.NewTokenSource(h.server.URL+"/iam/token", auth.ServiceCredential{ClientID: "tour", Secret: "cart-secret-0123456789"}, nil, h.clock)
	if _, err := unknown.Token(context.Background()); err == nil {
		t.Fatal("an unknown client got a token")
	}
	resp := h.do("POST", "/iam/token", "", "grant_type=password")
	if resp.status != 400 && resp.status != 415 {
		t.Fatalf("wrong grant = %d", resp.status)
	}
}

func TestKeyRotationThroughTheAPI(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	admin := h.admin()
	old := admin.token
	oldKid := header(t, old)["kid"]
	resp := h.do("POST", "/iam/keys/rotate", admin.token, nil)
	if resp.status != 200 {
		t.Fatalf("rotate = %d %s", resp.status, resp.body)
	}
	fresh := h.login(admin.email, admin.password)
	if header(t, fresh)["kid"] == oldKid {
		t.Fatal("new tokens still use the old key")
	}
	if resp := h.do("GET", "/iam/me", old, nil); resp.status != 200 {
		t.Fatalf("a token signed with the old key stopped working before it expired: %d", resp.status)
	}
	var jwks auth.JWKS
	if err := json.Unmarshal(h.do("GET", "/.well-known/jwks.json", "", nil).body, &jwks); err != nil || len(jwks.Keys) != 2 {
		t.Fatalf("JWKS after rotation = %+v, %v; want both keys", jwks, err)
	}
	h.clock.Advance(16 * time.Minute)
	if resp := h.do("GET", "/iam/me", old, nil); resp.status != 401 {
		t.Fatalf("an expired old-key token = %d, want 401", resp.status)
	}
	if resp := h.do("GET", "/iam/me", fresh, nil); resp.status != 401 {
		t.Fatalf("sanity: the fresh token is 16 minutes old too and must have expired: %d", resp.status)
	}
	if err := json.Unmarshal(h.do("GET", "/.well-known/jwks.json", "", nil).body, &jwks); err != nil || len(jwks.Keys) != 1 {
		t.Fatalf("JWKS after the old key retired = %d keys, want 1", len(jwks.Keys))
	}
	if resp := h.do("POST", "/iam/keys/rotate", h.register(roleCustomer, "c").token, nil); resp.status != 403 {
		t.Fatalf("a customer rotating keys = %d, want 403", resp.status)
	}
}

func TestKeysSurviveRestart(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		authtest.KeyStore(t, func(t *testing.T) auth.KeyStore {
			db := open(t, "keys")
			if _, err := NewSQLStore(context.Background(), db); err != nil {
				t.Fatal(err)
			}
			return NewSQLKeyStore(db)
		}, nil)
	})
}

func TestAdminVerifiesAndSuspends(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	admin := h.admin()
	realtor := h.register(roleRealtor, "rita")
	customer := h.register(roleCustomer, "carl")

	resp := h.do("PATCH", "/iam/users/"+realtor.id, admin.token, map[string]any{"verified": true})
	if resp.status != 200 || resp.json(t)["verified"] != true {
		t.Fatalf("verify = %d %s", resp.status, resp.body)
	}
	if resp := h.do("PATCH", "/iam/users/"+customer.id, admin.token, map[string]any{"verified": false}); resp.status != 422 {
		t.Fatalf("un-verifying a customer = %d, want 422", resp.status)
	}
	if resp := h.do("PATCH", "/iam/users/"+admin.id, admin.token, map[string]any{"status": "suspended"}); resp.status != 422 {
		t.Fatalf("an admin suspending themselves = %d, want 422", resp.status)
	}
	if resp := h.do("PATCH", "/iam/users/"+realtor.id, admin.token, map[string]any{"status": "gone"}); resp.status != 422 {
		t.Fatalf("unknown status = %d, want 422", resp.status)
	}
	if resp := h.do("PATCH", "/iam/users/nope", admin.token, map[string]any{"status": "active"}); resp.status != 404 {
		t.Fatalf("unknown user = %d, want 404", resp.status)
	}
	resp = h.do("PATCH", "/iam/users/"+realtor.id, admin.token, map[string]any{"status": "suspended"})
	if resp.status != 200 || resp.json(t)["status"] != "suspended" {
		t.Fatalf("suspend = %d %s", resp.status, resp.body)
	}
	// A suspended user cannot sign in, and (once services hear the event)
	// their tokens stop working.
	if resp := h.do("POST", "/iam/login", "", map[string]string{"email": realtor.email, "password": realtor.password}); resp.status != 403 {
		t.Fatalf("suspended login = %d, want 403", resp.status)
	}
	types := h.outboxTypes()
	for _, want := range []string{events.TypeUserVerified, events.TypeUserStatusChanged, events.TypeRealtorProfileChanged} {
		if !slices.Contains(types, want) {
			t.Errorf("outbox %v lacks %s", types, want)
		}
	}
	// Repeating a change announces nothing new.
	before := len(h.outboxTypes())
	h.do("PATCH", "/iam/users/"+realtor.id, admin.token, map[string]any{"status": "suspended"})
	if after := len(h.outboxTypes()); after != before {
		t.Fatalf("a no-op change wrote %d events", after-before)
	}
	resp = h.do("PATCH", "/iam/users/"+realtor.id, admin.token, map[string]any{"status": "active"})
	if resp.status != 200 {
		t.Fatal(resp.status)
	}
	h.login(realtor.email, realtor.password)
}

func TestRealtorProfile(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	realtor := h.register(roleRealtor, "rita")
	customer := h.register(roleCustomer, "carl")
	profile := map[string]any{
		"location": map[string]float64{"lat": 41.8781, "lng": -87.6298}, "service_radius_km": 25,
		"time_zone": "America/Chicago", "status": "available",
		"working_hours": []map[string]any{{"weekday": 1, "start": "09:00", "end": "17:00"}, {"weekday": 6, "start": "10:00", "end": "14:00"}},
	}
	resp := h.do("PATCH", "/iam/me", realtor.token, profile)
	if resp.status != 200 {
		t.Fatalf("profile = %d %s", resp.status, resp.body)
	}
	p := resp.json(t)["profile"].(map[string]any)
	if p["time_zone"] != "America/Chicago" || p["status"] != "available" || len(p["working_hours"].([]any)) != 2 {
		t.Fatalf("profile = %v", p)
	}
	if got := h.do("GET", "/iam/me", realtor.token, nil).json(t)["profile"].(map[string]any)["service_radius_km"]; got != 25.0 {
		t.Fatalf("stored radius = %v", got)
	}
	for name, bad := range map[string]map[string]any{
		"lat out of range":  {"location": map[string]float64{"lat": 91, "lng": 0}},
		"radius zero":       {"service_radius_km": 0},
		"radius too large":  {"service_radius_km": 5000},
		"unknown time zone": {"time_zone": "Mars/Olympus"},
		"weekday 0":         {"working_hours": []map[string]any{{"weekday": 0, "start": "09:00", "end": "17:00"}}},
		"end before start":  {"working_hours": []map[string]any{{"weekday": 1, "start": "17:00", "end": "09:00"}}},
		"bad clock":         {"working_hours": []map[string]any{{"weekday": 1, "start": "9am", "end": "17:00"}}},
		"bad status":        {"status": "busy"},
	} {
		if resp := h.do("PATCH", "/iam/me", realtor.token, bad); resp.status != 422 {
			t.Errorf("%s: %d %s, want 422", name, resp.status, resp.body)
		}
	}
	if resp := h.do("PATCH", "/iam/me", customer.token, profile); resp.status != 422 {
		t.Fatalf("a customer setting a realtor profile = %d, want 422", resp.status)
	}
	if resp := h.do("PATCH", "/iam/me", customer.token, map[string]any{"name": "Carl C."}); resp.status != 200 || resp.json(t)["name"] != "Carl C." {
		t.Fatalf("rename = %d %s", resp.status, resp.body)
	}
	if resp := h.do("PATCH", "/iam/me", customer.token, map[string]any{"role": "admin"}); resp.status != 400 {
		t.Fatalf("setting one's own role = %d, want 400 (unknown field)", resp.status)
	}
	if resp := h.do("PATCH", "/iam/me", customer.token, map[string]any{"verified": true}); resp.status != 400 {
		t.Fatalf("setting one's own verified = %d, want 400 (unknown field)", resp.status)
	}
	changes := outboxtest.Data[events.RealtorProfileChanged](t, h.db, events.TypeRealtorProfileChanged)
	if len(changes) == 0 {
		t.Fatal("no realtor profile events")
	}
	if last := changes[len(changes)-1]; last.RealtorID != realtor.id || last.Location == nil || last.Location.Lat != 41.8781 || last.Status != "available" || last.Verified || !last.Active {
		t.Fatalf("profile event = %+v", last)
	}
}

func errorsAs(err error, target *throttledError) bool {
	t, ok := err.(throttledError)
	if ok {
		*target = t
	}
	return ok
}

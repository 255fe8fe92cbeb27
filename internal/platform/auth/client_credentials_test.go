package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
)

func TestParseServiceCredentials(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]string
		wantErr string
	}{
		{"", map[string]string{}, ""},
		{"cart:0123456789abcdef", map[string]string{"cart": "0123456789abcdef"}, ""},
		{" cart:0123456789abcdef , tour:s3cr:t-with-colon!! ", map[string]string{"cart": "0123456789abcdef", "tour": "s3cr:t-with-colon!!"}, ""},
		{"cart:short", nil, "shorter than 16"},
		{"cart0123456789abcdef", nil, "no ':'"},
		{":0123456789abcdef", nil, "client id"},
		{"Cart:0123456789abcdef", nil, "client id"},
		{"cart:0123456789abcdef,cart:0123456789abcdeg", nil, "twice"},
		{"cart:0123456789abcdef,", nil, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := auth.ParseServiceCredentials(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), auth.ServiceCredentialsSetting) {
					t.Fatalf("err = %v, want one naming %s and saying %q", err, auth.ServiceCredentialsSetting, tt.wantErr)
				}
				if strings.Contains(err.Error(), "0123456789abcde") || strings.Contains(err.Error(), ":short") {
					t.Fatalf("error leaks a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckSecret(t *testing.T) {
	tests := []struct {
		want, got string
		ok        bool
	}{
		{"0123456789abcdef", "0123456789abcdef", true},
		{"0123456789abcdef", "0123456789abcdeF", false},
		{"0123456789abcdef", "0123456789abcde", false},
		{"0123456789abcdef", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := auth.CheckSecret(tt.want, tt.got); got != tt.ok {
			t.Errorf("CheckSecret(%q, %q) = %v, want %v", tt.want, tt.got, got, tt.ok)
		}
	}
}

// tokenServer is a client credentials endpoint as iam serves it: Basic
// client auth checked against creds, a numbered token per hit.
type tokenServer struct {
	*httptest.Server
	hits      atomic.Int64
	expiresIn int64
	fail      atomic.Bool
}

func newTokenServer(t *testing.T, creds map[string]string) *tokenServer {
	s := &tokenServer{expiresIn: 900}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		cred, ok := auth.ClientCredentialsFrom(r)
		switch {
		case s.fail.Load():
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		case r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_request"}`))
			return
		case r.PostFormValue("grant_type") != "client_credentials":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"unsupported_grant_type"}`))
			return
		case !ok || !auth.CheckSecret(creds[cred.ClientID], cred.Secret):
			w.Header().Set("WWW-Authenticate", "Basic")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": fmt.Sprintf("%s-token-%d", cred.ClientID, n),
			"token_type":   "Bearer",
			"expires_in":   s.expiresIn,
		})
	}))
	t.Cleanup(s.Close)
	return s
}

func TestTokenSource(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	// A secret with the characters Basic auth and form encoding mangle.
	cred := auth.ServiceCredential{ClientID: "cart", Secret: "p:a%ss+w/o rd&=0123456789"}
	srv := newTokenServer(t, map[string]string{"cart": cred.Secret})
	ts := auth.NewTokenSource(srv.URL, cred, srv.Client(), f.clock)
	token := func(t *testing.T, want string) {
		t.Helper()
		got, err := ts.Token(ctx)
		if err != nil {
			t.Fatalf("Token: %v", err)
		}
		if got != want {
			t.Fatalf("Token = %q, want %q", got, want)
		}
	}
	hits := func(t *testing.T, want int64) {
		t.Helper()
		if got := srv.hits.Load(); got != want {
			t.Fatalf("token endpoint hit %d times, want %d", got, want)
		}
	}

	token(t, "cart-token-1")
	token(t, "cart-token-1")
	hits(t, 1)

	f.clock.Advance(15*time.Minute - auth.TokenRefreshMargin - time.Second)
	token(t, "cart-token-1")
	hits(t, 1)

	// A minute before expiry, many callers at once share one refresh.
	f.clock.Advance(time.Second)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if got, err := ts.Token(ctx); err != nil || got != "cart-token-2" {
				t.Errorf("concurrent Token = %q, %v", got, err)
			}
		})
	}
	wg.Wait()
	hits(t, 2)

	// iam down: the cached token serves until it actually expires.
	srv.fail.Store(true)
	f.clock.Advance(15*time.Minute - auth.TokenRefreshMargin)
	token(t, "cart-token-2")
	hits(t, 3)
	f.clock.Advance(auth.TokenRefreshMargin)
	if _, err := ts.Token(ctx); err == nil {
		t.Fatal("Token returned an expired token")
	}
	hits(t, 4)
	srv.fail.Store(false)
	token(t, "cart-token-5")
}

func TestTokenSourceShortLivedTokens(t *testing.T) {
	f := newFixture(t)
	cred := auth.ServiceCredential{ClientID: "tour", Secret: "0123456789abcdef"}
	srv := newTokenServer(t, map[string]string{"tour": cred.Secret})
	srv.expiresIn = 60 // refreshed at half its life, not never cached
	ts := auth.NewTokenSource(srv.URL, cred, srv.Client(), f.clock)
	for _, step := range []struct {
		advance time.Duration
		want    string
	}{{0, "tour-token-1"}, {29 * time.Second, "tour-token-1"}, {time.Second, "tour-token-2"}} {
		f.clock.Advance(step.advance)
		if got, err := ts.Token(context.Background()); err != nil || got != step.want {
			t.Fatalf("after %s: Token = %q, %v; want %q", step.advance, got, err, step.want)
		}
	}
}

func TestTokenSourceWrongSecret(t *testing.T) {
	f := newFixture(t)
	srv := newTokenServer(t, map[string]string{"cart": "0123456789abcdef"})
	secret := "wrong-secret-0123456789"
	ts := auth.NewTokenSource(srv.URL, auth.ServiceCredential{ClientID: "cart", Secret: secret}, srv.Client(), f.clock)
	_, err := ts.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "401 invalid_client") {
		t.Fatalf("Token = %v, want a 401 invalid_client error", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("error leaks the secret: %v", err)
	}
}

func TestTokenSourceRejectsBadResponses(t *testing.T) {
	for name, body := range map[string]string{
		"no token":      `{"token_type":"Bearer","expires_in":900}`,
		"not bearer":    `{"access_token":"x","token_type":"mac","expires_in":900}`,
		"no expires_in": `{"access_token":"x","token_type":"Bearer"}`,
		"not json":      `<html>`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(body))
			}))
			defer srv.Close()
			ts := auth.NewTokenSource(srv.URL, auth.ServiceCredential{ClientID: "cart", Secret: "0123456789abcdef"}, srv.Client(), newFixture(t).clock)
			if tok, err := ts.Token(context.Background()); err == nil {
				t.Fatalf("Token = %q, want an error", tok)
			}
		})
	}
}

// TestServiceTokenEndToEnd: a token iam issues to a service through the
// client credentials flow is a service principal to the verifier.
func TestServiceTokenEndToEnd(t *testing.T) {
	f := newFixture(t)
	creds, err := auth.ParseServiceCredentials("cart:0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cred, ok := auth.ClientCredentialsFrom(r)
		if !ok || !auth.CheckSecret(creds[cred.ClientID], cred.Secret) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		tok, exp, err := f.issuer.Issue(auth.ServicePrincipal(cred.ClientID))
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(exp.Seconds())})
	}))
	defer srv.Close()
	ts := auth.NewTokenSource(srv.URL, auth.ServiceCredential{ClientID: "cart", Secret: "0123456789abcdef"}, srv.Client(), f.clock)
	tok, err := ts.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.verifier(nil).Verify(context.Background(), tok)
	if err != nil || p != auth.ServicePrincipal("cart") {
		t.Fatalf("Verify = %+v, %v; want the cart service", p, err)
	}
}

package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

func TestCORS(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	serve := func(h http.Handler, method, origin string, preflight bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/tours", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if preflight {
			r.Header.Set("Access-Control-Request-Method", "POST")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	off := httpapi.CORS(nil)(ok)
	if rec := serve(off, "GET", "https://evil.example", false); rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS is on by default")
	}
	if rec := serve(off, "OPTIONS", "https://app.example", true); rec.Code == http.StatusNoContent {
		t.Fatal("a preflight is answered with CORS off")
	}

	on := httpapi.CORS([]string{"https://app.example"})(ok)
	rec := serve(on, "GET", "https://app.example", false)
	if rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example" || rec.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("allowed origin: %d %v", rec.Code, rec.Header())
	}
	rec = serve(on, "OPTIONS", "https://app.example", true)
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Methods") == "" || rec.Header().Get("Access-Control-Allow-Headers") == "" {
		t.Fatalf("allowed preflight: %d %v", rec.Code, rec.Header())
	}
	rec = serve(on, "GET", "https://evil.example", false)
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("another origin got %v", rec.Header())
	}
	rec = serve(on, "OPTIONS", "https://evil.example", true)
	if rec.Code != http.StatusForbidden || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("another origin's preflight = %d %v", rec.Code, rec.Header())
	}
	if rec := serve(httpapi.CORS([]string{"*"})(ok), "GET", "https://any.example", false); rec.Header().Get("Access-Control-Allow-Origin") != "https://any.example" {
		t.Fatalf("* did not admit an origin: %v", rec.Header())
	}
}

func TestTrustProxies(t *testing.T) {
	var seen string
	h := httpapi.TrustProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.RemoteAddr
	}))
	for _, c := range []struct {
		peer, xff, want string
	}{
		{"203.0.113.9:5000", "", "203.0.113.9:5000"},                           // direct
		{"203.0.113.9:5000", "1.2.3.4", "203.0.113.9:5000"},                    // an untrusted peer's header is ignored
		{"10.0.0.2:5000", "198.51.100.7", "198.51.100.7:0"},                    // through the gateway
		{"10.0.0.2:5000", "6.6.6.6, 198.51.100.7, 10.0.0.3", "198.51.100.7:0"}, // a spoofed left part is not believed
		{"10.0.0.2:5000", "garbage, 198.51.100.7", "198.51.100.7:0"},
		{"10.0.0.2:5000", "10.0.0.5", "10.0.0.5:0"}, // all trusted: the leftmost
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if seen != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: client %s, want %s", c.peer, c.xff, seen, c.want)
		}
	}
}

package ratelimit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/ratelimit"
)

func TestParsePolicy(t *testing.T) {
	for in, want := range map[string]ratelimit.Policy{"20/1h": {20, time.Hour}, "5/30s": {5, 30 * time.Second}, "off": {}, "0": {}} {
		if got, err := ratelimit.ParsePolicy(in); err != nil || got != want {
			t.Errorf("ParsePolicy(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "20", "x/1h", "-1/1h", "20/soon", "20/-1s"} {
		if _, err := ratelimit.ParsePolicy(bad); err == nil {
			t.Errorf("ParsePolicy(%q) accepted", bad)
		}
	}
}

func TestLimit(t *testing.T) {
	c := clock.NewFake(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC))
	served := 0
	h := ratelimit.Limit(ratelimit.NewWindow(3, time.Minute, c), ratelimit.ByCaller)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served++ }))
	call := func(addr string, p *auth.Principal) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/cart/checkout", nil)
		r.RemoteAddr = addr
		if p != nil {
			r = r.WithContext(auth.WithPrincipal(r.Context(), *p))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	ann := &auth.Principal{ID: "ann", Role: auth.RoleCustomer}
	for i := range 3 {
		// Ann moves between addresses: she is counted as herself.
		if rec := call("192.0.2.1:"+string(rune('1'+i)), ann); rec.Code != 200 {
			t.Fatalf("request %d = %d", i+1, rec.Code)
		}
	}
	rec := call("192.0.2.9:1", ann)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "60" || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("4th request = %d %v", rec.Code, rec.Header())
	}
	if served != 3 {
		t.Fatalf("the handler ran %d times, want 3", served)
	}
	// Someone else, and anonymous callers by address, have their own count.
	if rec := call("192.0.2.9:1", &auth.Principal{ID: "bob", Role: auth.RoleCustomer}); rec.Code != 200 {
		t.Fatalf("bob = %d", rec.Code)
	}
	c.Advance(time.Minute)
	if rec := call("192.0.2.9:1", ann); rec.Code != 200 {
		t.Fatalf("after the window = %d", rec.Code)
	}
}

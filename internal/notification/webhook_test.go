package notification

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

const hookSecret = "whsec_0123456789abcdef"

// receiver is a webhook endpoint that answers with the statuses it is
// given, in order (the last one repeats), and records every request.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []received
}

type received struct {
	header http.Header
	body   []byte
	status int
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := r.statuses[min(len(r.got), len(r.statuses)-1)]
		r.got = append(r.got, received{header: req.Header.Clone(), body: body, status: status})
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// verify checks a request's signature the way a receiver would, written
// here independently of the code under test: HMAC-SHA256 over
// "<t>.<body>" with the secret, t within 5 minutes of now.
func verifySigned(t *testing.T, r received, secret string, now time.Time) {
	t.Helper()
	parts := map[string]string{}
	for _, p := range strings.Split(r.header.Get("Openhouse-Signature"), ",") {
		k, v, _ := strings.Cut(p, "=")
		parts[k] = v
	}
	ts, err := strconv.ParseInt(parts["t"], 10, 64)
	if err != nil {
		t.Fatalf("signature header %q has no timestamp", r.header.Get("Openhouse-Signature"))
	}
	if d := now.Sub(time.Unix(ts, 0)); d < -5*time.Minute || d > 5*time.Minute {
		t.Fatalf("signature timestamp %d is %s from now", ts, d)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts["t"] + "." + string(r.body)))
	want := hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(parts["v1"]), []byte(want)) {
		t.Fatalf("signature v1=%s, want %s", parts["v1"], want)
	}
}

// delivery returns the only webhook delivery of a user's newest notification.
func webhookDelivery(t *testing.T, st Store, userID string) delivery {
	t.Helper()
	items := inbox(t, st, userID)
	if len(items) == 0 {
		t.Fatalf("%s has no notifications", userID)
	}
	for _, d := range items[0].Deliveries {
		if d.Channel == channelWebhook {
			return d
		}
	}
	t.Fatalf("no webhook delivery in %+v", items[0])
	return delivery{}
}

func hookInstance(t *testing.T, open storetest.Opener, clk *clock.Fake, r *receiver) *instance {
	t.Helper()
	in := newInstance(t, openDB(t, open), clk, Config{
		AllowLoopbackWebhooks: true, MaxAttempts: 4, RetryBase: 30 * time.Second, RetryMax: 10 * time.Minute,
	})
	in.register(t, customer, realtor)
	if _, err := in.svc.RegisterWebhook(context.Background(), customer.UserID, r.srv.URL+"/hooks/openhouse", hookSecret); err != nil {
		t.Fatal(err)
	}
	in.run(t)
	return in
}

func TestWebhookIsSignedAndDelivered(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		r := newReceiver(t, http.StatusNoContent)
		in := hookInstance(t, open, clk, r)
		in.handle(t, scheduled(t, tour("tour-w", customer.UserID, realtor.UserID, 2, tourStart), t0))
		settled(t, in.db, in.store, clk)
		reqs := r.requests()
		if len(reqs) != 1 {
			t.Fatalf("%d webhook requests, want 1 (only the customer registered one)", len(reqs))
		}
		verifySigned(t, reqs[0], hookSecret, clk.Now())
		if err := verify(hookSecret, reqs[0].header.Get(signatureHeader), reqs[0].body, clk.Now(), 5*time.Minute); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if err := verify("another secret of 16+", reqs[0].header.Get(signatureHeader), reqs[0].body, clk.Now(), 5*time.Minute); err == nil {
			t.Fatal("Verify accepted the wrong secret")
		}
		if err := verify(hookSecret, reqs[0].header.Get(signatureHeader), reqs[0].body, clk.Now().Add(time.Hour), 5*time.Minute); err == nil {
			t.Fatal("Verify accepted an old timestamp")
		}
		var body WebhookBody
		if err := json.Unmarshal(reqs[0].body, &body); err != nil {
			t.Fatal(err)
		}
		items := inbox(t, in.store, customer.UserID)
		if body.ID != items[0].ID || body.Kind != kindTourScheduled || body.TourID != "tour-w" || body.UserID != customer.UserID ||
			!body.Tour.ScheduledAt.Equal(tourStart) || body.Tour.Version != 2 || !strings.Contains(body.Body, "10:00 CST (America/Chicago)") {
			t.Fatalf("webhook body %+v", body)
		}
		if ct := reqs[0].header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
		d := webhookDelivery(t, in.store, customer.UserID)
		if d.State != deliveryDelivered || d.Attempts != 1 || reqs[0].header.Get("Openhouse-Delivery") != d.ID {
			t.Fatalf("delivery %+v", d)
		}
		hooks := 0
		for _, s := range sent(t, in.db) {
			if s.Channel == "webhook" {
				hooks++
				if s.NotificationID != body.ID || s.UserID != customer.UserID {
					t.Fatalf("webhook event %+v", s)
				}
			}
		}
		if hooks != 1 {
			t.Fatalf("%d webhook events, want 1", hooks)
		}
	})
}

// TestWebhookRetriesWithBackoff: a receiver that fails twice gets the same
// signed body again after 30 s and 60 s, then takes it; it is delivered
// and announced once.
func TestWebhookRetriesWithBackoff(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		r := newReceiver(t, 500, 502, 200)
		in := hookInstance(t, open, clk, r)
		in.handle(t, unassigned(t, tour("tour-b", customer.UserID, "", 2, tourStart), t0))
		settled(t, in.db, in.store, clk)
		expect := func(requests, attempts int, state deliveryState) {
			t.Helper()
			if got := len(r.requests()); got != requests {
				t.Fatalf("%d requests, want %d", got, requests)
			}
			if d := webhookDelivery(t, in.store, customer.UserID); d.Attempts != attempts || d.State != state {
				t.Fatalf("delivery %+v, want %d attempts, %s", d, attempts, state)
			}
		}
		expect(1, 1, deliveryPending)
		clk.Advance(29 * time.Second)
		settled(t, in.db, in.store, clk)
		expect(1, 1, deliveryPending)
		clk.Advance(time.Second)
		settled(t, in.db, in.store, clk)
		expect(2, 2, deliveryPending)
		clk.Advance(59 * time.Second)
		settled(t, in.db, in.store, clk)
		expect(2, 2, deliveryPending)
		clk.Advance(time.Second)
		settled(t, in.db, in.store, clk)
		expect(3, 3, deliveryDelivered)
		clk.Advance(24 * time.Hour)
		settled(t, in.db, in.store, clk)
		expect(3, 3, deliveryDelivered)

		reqs := r.requests()
		for i, q := range reqs {
			if string(q.body) != string(reqs[0].body) || q.header.Get("Openhouse-Delivery") != reqs[0].header.Get("Openhouse-Delivery") {
				t.Fatalf("attempt %d sent another body or delivery id", i+1)
			}
		}
		verifySigned(t, reqs[2], hookSecret, t0.Add(90*time.Second))
		hooks := 0
		for _, s := range sent(t, in.db) {
			if s.Channel == "webhook" {
				hooks++
			}
		}
		if hooks != 1 {
			t.Fatalf("%d webhook events, want 1", hooks)
		}
	})
}

// TestWebhookGivesUp: a receiver that keeps failing gets MaxAttempts (4)
// tries and then no more; the delivery is recorded failed.
func TestWebhookGivesUp(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		r := newReceiver(t, http.StatusServiceUnavailable)
		in := hookInstance(t, open, clk, r)
		in.handle(t, unassigned(t, tour("tour-g", customer.UserID, "", 2, tourStart), t0))
		for _, wait := range []time.Duration{0, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 24 * time.Hour} {
			clk.Advance(wait)
			settled(t, in.db, in.store, clk)
		}
		if got := len(r.requests()); got != 4 {
			t.Fatalf("%d requests, want 4", got)
		}
		d := webhookDelivery(t, in.store, customer.UserID)
		if d.State != deliveryFailed || d.Attempts != 4 || !strings.Contains(d.LastError, "gave up after 4 attempts") ||
			!strings.Contains(d.LastError, "503") {
			t.Fatalf("delivery %+v", d)
		}
		for _, s := range sent(t, in.db) {
			if s.Channel == "webhook" {
				t.Fatalf("a failed delivery was announced: %+v", s)
			}
		}
	})
}

// TestRemovedWebhookIsDropped: deliveries queued before the user removed
// their webhook are dropped, not sent.
func TestRemovedWebhookIsDropped(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		r := newReceiver(t, 500)
		in := hookInstance(t, open, clk, r)
		in.handle(t, unassigned(t, tour("tour-d", customer.UserID, "", 2, tourStart), t0))
		settled(t, in.db, in.store, clk)
		if err := in.store.DeleteWebhook(context.Background(), customer.UserID); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
		settled(t, in.db, in.store, clk)
		if d := webhookDelivery(t, in.store, customer.UserID); d.State != deliveryDropped || len(r.requests()) != 1 {
			t.Fatalf("delivery %+v after %d requests", d, len(r.requests()))
		}
	})
}

// TestPosterRefusesPrivateAddresses: outside tests a webhook cannot reach
// loopback or private addresses, whatever URL was registered.
func TestPosterRefusesPrivateAddresses(t *testing.T) {
	r := newReceiver(t, 200)
	p := newPoster(2*time.Second, false)
	err := p.Post(context.Background(), r.srv.URL, hookSecret, "d", kindTourReminder, []byte(`{}`), time.Now())
	if err == nil || !strings.Contains(err.Error(), "non-public") {
		t.Fatalf("Post to loopback = %v", err)
	}
	for _, u := range []string{"http://10.1.2.3:9/", "http://169.254.169.254/latest/meta-data", "http://[::1]:9/"} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := p.Post(ctx, u, hookSecret, "d", kindTourReminder, []byte(`{}`), time.Now())
		cancel()
		if err == nil || !strings.Contains(err.Error(), "non-public") {
			t.Errorf("Post to %s = %v", u, err)
		}
	}
	if n := len(r.requests()); n != 0 {
		t.Fatalf("the receiver got %d requests", n)
	}
}

// resolver answers from a table, as a DNS server would for these names;
// a name not in it does not exist.
type resolver map[string][]netip.Addr

func (r resolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if addrs, ok := r[host]; ok {
		return addrs, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// TestWebhookRegistrationRefusesNonPublicHosts: a webhook at a loopback,
// private, link-local or other non-public address is refused when it is
// registered (422 naming url), not only when it is dialled, by the same
// rule: an address literal is checked, a name is resolved and every address
// it resolves to is checked. The listener on 127.0.0.1 hears nothing.
func TestWebhookRegistrationRefusesNonPublicHosts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		victim := newReceiver(t, http.StatusOK)
		port := victim.srv.Listener.Addr().(*net.TCPAddr).Port
		names := resolver{
			"hooks.internal.test": {netip.MustParseAddr("10.0.0.5")},
			"metadata.test":       {netip.MustParseAddr("169.254.169.254")},
			"rebind.test":         {netip.MustParseAddr("203.0.114.7"), netip.MustParseAddr("127.0.0.1")},
			"v6.test":             {netip.MustParseAddr("fd00::1")},
			"partner.test":        {netip.MustParseAddr("203.0.114.7"), netip.MustParseAddr("2606:4700::1")},
			"localhost":           {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")},
		}
		in := newInstance(t, openDB(t, open), clk, Config{Resolver: names})
		in.register(t, customer, realtor)
		refused := []string{
			victim.srv.URL, // http://127.0.0.1:port
			fmt.Sprintf("https://127.0.0.1:%d/hook", port), // an https URL was enough before
			fmt.Sprintf("https://localhost:%d/hook", port), // a name for it
			fmt.Sprintf("https://[::ffff:127.0.0.1]:%d/", port),
			fmt.Sprintf("https://0.0.0.0:%d/", port),
			"https://[::1]/hook",
			"https://10.1.2.3/hook",
			"https://192.168.1.1/hook",
			"https://169.254.169.254/latest/meta-data",
			"https://100.100.100.200/latest/meta-data", // carrier-grade NAT range, a cloud's metadata
			"https://[fe80::1]/hook",
			"https://hooks.internal.test/hook",
			"https://metadata.test/",
			"https://rebind.test/hook", // one public address does not make up for a loopback one
			"https://v6.test/hook",
		}
		for _, u := range refused {
			_, err := in.svc.RegisterWebhook(context.Background(), customer.UserID, u, hookSecret)
			var v fault.ValidationError
			if !errors.As(err, &v) || len(v) != 1 || v[0].Field != "url" {
				t.Errorf("RegisterWebhook(%s) = %v, want a validation error naming url", u, err)
			}
		}
		if _, err := in.svc.RegisterWebhook(context.Background(), customer.UserID, "https://partner.test/hook", hookSecret); err != nil {
			t.Fatalf("a host with public addresses only: %v", err)
		}
		// A name that does not resolve now cannot be judged; the Poster
		// checks whatever it resolves to when dialled.
		if _, err := in.svc.RegisterWebhook(context.Background(), realtor.UserID, "https://not-yet.test/hook", hookSecret); err != nil {
			t.Fatalf("a name that does not resolve: %v", err)
		}
		if w, err := in.store.Webhook(context.Background(), customer.UserID); err != nil || w.URL != "https://partner.test/hook" {
			t.Fatalf("the customer's webhook = %+v, %v", w, err)
		}
		if n := len(victim.requests()); n != 0 {
			t.Fatalf("the loopback listener got %d requests", n)
		}
	})
}

// TestWebhookRedirectsAreNotFollowed: a receiver that answers with a
// redirect (to an internal address, say) gets the delivery counted as
// failed, and the redirect's target hears nothing, even with loopback
// delivery allowed as in tests.
func TestWebhookRedirectsAreNotFollowed(t *testing.T) {
	inner := newReceiver(t, http.StatusOK)
	outer := httptest.NewServer(http.RedirectHandler(inner.srv.URL+"/admin", http.StatusTemporaryRedirect))
	t.Cleanup(outer.Close)
	p := newPoster(2*time.Second, true)
	err := p.Post(context.Background(), outer.URL, hookSecret, "d", kindTourReminder, []byte(`{}`), time.Now())
	if err == nil || !strings.Contains(err.Error(), "redirect") {
		t.Fatalf("Post to a redirecting receiver = %v, want a failure naming the redirect", err)
	}
	if n := len(inner.requests()); n != 0 {
		t.Fatalf("the redirect's target got %d requests", n)
	}
}

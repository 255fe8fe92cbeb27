package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/bus/bustest"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/web"
)

const (
	heartbeat = 15 * time.Second
	maxAge    = 5 * time.Minute
)

type fixture struct {
	clock    *clock.Fake
	bus      *bus.Bus
	issuer   *auth.Issuer
	verifier *auth.Verifier
	web      *web.Web
}

// newFixture is the web app on a real embedded JetStream with real tokens;
// time moves only when the test says.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clock: clock.NewFake(time.Now())}
	f.bus = bustest.Embedded(t).Connect(t)
	iss, err := auth.NewIssuer(context.Background(), auth.NewMemoryKeyStore(), auth.IssuerConfig{Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	f.issuer = iss
	f.verifier = auth.NewVerifier(iss, auth.VerifierConfig{Clock: f.clock})
	f.web, err = web.New(web.Config{Bus: f.bus, Clock: f.clock, Heartbeat: heartbeat, MaxAge: maxAge})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.web.Close)
	return f
}

func (f *fixture) token(t *testing.T, p auth.Principal) string {
	t.Helper()
	tok, _, err := f.issuer.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fixture) publish(t *testing.T, typ string, data any) bus.Event {
	t.Helper()
	ev, err := bus.NewEvent(context.Background(), typ, "subject", data, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.bus.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// sse is an open stream: its blocks (one event or comment each) arrive on
// blocks, which is closed when the server ends the stream.
type sse struct {
	blocks chan string
	done   chan struct{}
}

func open(t *testing.T, url, token string) *sse {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/events/stream", nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		t.Fatalf("stream answered %s (%s)", resp.Status, resp.Header.Get("Content-Type"))
	}
	s := &sse{blocks: make(chan string, 100), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer close(s.blocks)
		sc := bufio.NewScanner(resp.Body)
		var block []string
		for sc.Scan() {
			if sc.Text() != "" {
				block = append(block, sc.Text())
				continue
			}
			s.blocks <- strings.Join(block, "\n")
			block = nil
		}
	}()
	t.Cleanup(func() {
		resp.Body.Close()
		<-s.done
	})
	if b := s.next(t); !strings.Contains(b, "event: ready") {
		t.Fatalf("first block %q, want the ready event", b)
	}
	return s
}

// next is the next block, or fails the test after a deadline.
func (s *sse) next(t *testing.T) string {
	t.Helper()
	select {
	case b, ok := <-s.blocks:
		if !ok {
			t.Fatal("the stream ended")
		}
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("nothing arrived on the stream in 10 s")
	}
	return ""
}

type received struct {
	ID   string            `json:"id"`
	Type string            `json:"type"`
	Refs map[string]string `json:"refs"`
	Data json.RawMessage   `json:"data"`
}

func (s *sse) event(t *testing.T) received {
	t.Helper()
	b := s.next(t)
	var r received
	for _, line := range strings.Split(b, "\n") {
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			if err := json.Unmarshal([]byte(data), &r); err != nil {
				t.Fatalf("block %q: %v", b, err)
			}
			return r
		}
	}
	t.Fatalf("block %q has no data", b)
	return r
}

// Each user hears of their own tours and payments and of nobody else's;
// admins hear of everything, with the event's data. Other users' events are
// published first on the same streams, so had any leaked it would arrive
// before the user's own.
func TestStreamShowsEachUserOnlyTheirOwnNews(t *testing.T) {
	f := newFixture(t)
	srv := server(t, f.web, f.verifier)
	alice := open(t, srv.URL, f.token(t, auth.Principal{ID: "alice", Role: auth.RoleCustomer}))
	bob := open(t, srv.URL, f.token(t, auth.Principal{ID: "bob", Role: auth.RoleCustomer}))
	realtor := open(t, srv.URL, f.token(t, auth.Principal{ID: "rita", Role: auth.RoleRealtor}))
	admin := open(t, srv.URL, f.token(t, auth.Principal{ID: "adm", Role: auth.RoleAdmin}))

	bobTour := f.publish(t, events.TypeTourScheduled, events.TourScheduled{Tour: events.Tour{TourID: "tb", CustomerID: "bob", RealtorID: "rex"}})
	bobPay := f.publish(t, events.TypePaymentSucceeded, events.PaymentSucceeded{PaymentID: "pb", CustomerID: "bob"})
	aliceTour := f.publish(t, events.TypeTourScheduled, events.TourScheduled{Tour: events.Tour{TourID: "ta", CustomerID: "alice", RealtorID: "rita"}})
	alicePay := f.publish(t, events.TypePaymentSucceeded, events.PaymentSucceeded{PaymentID: "pa", CustomerID: "alice"})

	ids := func(s *sse, n int) map[string]received {
		got := map[string]received{}
		for range n {
			r := s.event(t)
			got[r.ID] = r
		}
		return got
	}
	for name, c := range map[string]struct {
		s    *sse
		want []bus.Event
	}{
		"alice":   {alice, []bus.Event{aliceTour, alicePay}},
		"bob":     {bob, []bus.Event{bobTour, bobPay}},
		"realtor": {realtor, []bus.Event{aliceTour}},
	} {
		got := ids(c.s, len(c.want))
		for _, ev := range c.want {
			r, ok := got[ev.ID()]
			if !ok {
				t.Errorf("%s got %v, want %s among them", name, got, ev.ID())
				continue
			}
			if len(r.Data) != 0 {
				t.Errorf("%s got the data of %s; users get a notice and read the API", name, ev.Type())
			}
		}
	}
	got := ids(admin, 4)
	for _, ev := range []bus.Event{bobTour, bobPay, aliceTour, alicePay} {
		if r, ok := got[ev.ID()]; !ok || len(r.Data) == 0 {
			t.Errorf("admin got %v, want %s with its data", got, ev.ID())
		}
	}
	if r := got[aliceTour.ID()]; r.Refs["tour_id"] != "ta" {
		t.Errorf("refs = %v, want tour_id ta", r.Refs)
	}

	// The realtor's stream got nothing else: one more event for them comes
	// next, not one of the others.
	ping := f.publish(t, events.TypeTourScheduled, events.TourScheduled{Tour: events.Tour{TourID: "tc", CustomerID: "carl", RealtorID: "rita"}})
	if r := realtor.event(t); r.ID != ping.ID() {
		t.Fatalf("realtor got %s (%s), want %s", r.ID, r.Type, ping.ID())
	}
}

func TestStreamRefusals(t *testing.T) {
	f := newFixture(t)
	srv := server(t, f.web, f.verifier)
	customer := f.token(t, auth.Principal{ID: "alice", Role: auth.RoleCustomer})
	tests := []struct {
		name   string
		header map[string]string
		status int
	}{
		{"anonymous", map[string]string{"Accept": "text/event-stream"}, 401},
		{"forged token", map[string]string{"Accept": "text/event-stream", "Authorization": "Bearer not.a.token"}, 401},
		{"service identity", map[string]string{"Accept": "text/event-stream", "Authorization": "Bearer " + f.token(t, auth.ServicePrincipal("cart"))}, 403},
		{"not asking for a stream", map[string]string{"Authorization": "Bearer " + customer}, 406},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, srv.URL+"/events/stream", tc.header)
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%s %s: %s, want %d problem", resp.Status, resp.Header.Get("Content-Type"), body, tc.status)
			}
		})
	}

	// Shutdown ends open streams and refuses new ones.
	s := open(t, srv.URL, customer)
	f.web.Close()
	select {
	case _, ok := <-s.blocks:
		if ok {
			t.Fatal("a block arrived instead of the end of the stream")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close left the stream open")
	}
	resp, body := get(t, srv.URL+"/events/stream", map[string]string{"Accept": "text/event-stream", "Authorization": "Bearer " + customer})
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("after Close: %s %s, want 503", resp.Status, body)
	}
}

// An idle stream gets a keep-alive comment every Heartbeat and ends at
// MaxAge, so the client reconnects and its token is checked again.
func TestStreamHeartbeatAndMaxAge(t *testing.T) {
	f := newFixture(t)
	srv := server(t, f.web, f.verifier)
	s := open(t, srv.URL, f.token(t, auth.Principal{ID: "alice", Role: auth.RoleCustomer}))
	waitTimers := func() {
		if !f.clock.WaitForWaiters(2, time.After(10*time.Second)) {
			t.Fatal("the stream is not waiting on the clock")
		}
	}
	waitTimers()
	f.clock.Advance(heartbeat)
	if b := s.next(t); b != ": keep-alive" {
		t.Fatalf("got %q, want a keep-alive comment", b)
	}
	waitTimers()
	f.clock.Advance(maxAge) // the heartbeat is due too: a keep-alive may come first
	deadline := time.After(10 * time.Second)
	for {
		select {
		case b, ok := <-s.blocks:
			if !ok {
				return
			}
			if b != ": keep-alive" {
				t.Fatalf("got %q, want the stream to end at MaxAge", b)
			}
		case <-deadline:
			t.Fatal("the stream outlived MaxAge")
		}
	}
}

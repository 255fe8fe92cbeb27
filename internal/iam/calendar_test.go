package iam

import (
	"bytes"
	"context"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func blocks(pairs ...string) []busyBlock {
	var out []busyBlock
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, busyBlock{Start: utc(pairs[i]), End: utc(pairs[i+1])})
	}
	return out
}

func sameBlocks(t *testing.T, what string, got, want []busyBlock) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d blocks %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i := range want {
		if !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) {
			t.Errorf("%s: block %d = %s..%s, want %s..%s", what, i, got[i].Start, got[i].End, want[i].Start, want[i].End)
		}
	}
}

// The fixture's busy times from 25 November 2026 for 90 days, in a
// Chicago realtor's calendar: the weekly Tuesday 09:00-10:00 meeting
// (CST, UTC-6) from 1 December, six times, less the 15th (EXDATE), with the
// 22nd moved to 14:00-15:00 (RECURRENCE-ID), and the all-day 3 December
// (midnight to midnight in Chicago); the lunch shown as free is not busy.
var fixtureBusy = blocks(
	"2026-12-01T15:00:00Z", "2026-12-01T16:00:00Z",
	"2026-12-03T06:00:00Z", "2026-12-04T06:00:00Z",
	"2026-12-08T15:00:00Z", "2026-12-08T16:00:00Z",
	"2026-12-22T20:00:00Z", "2026-12-22T21:00:00Z",
	"2026-12-29T15:00:00Z", "2026-12-29T16:00:00Z",
	"2027-01-05T15:00:00Z", "2027-01-05T16:00:00Z",
)

func TestExpandBusy(t *testing.T) {
	chicago, _ := time.LoadLocation("America/Chicago")
	raw, err := os.ReadFile("testdata/busy.ics")
	if err != nil {
		t.Fatal(err)
	}
	now := utc("2026-11-25T12:00:00Z")
	got, err := expandBusy(raw, chicago, now, now.Add(busyHorizon))
	if err != nil {
		t.Fatal(err)
	}
	sameBlocks(t, "fixture", got, fixtureBusy)

	// Across a daylight saving change, in a zone other than the realtor's:
	// 10:00 in Berlin is 08:00 UTC in summer time and 09:00 after 25
	// October; a weekly rule keeps the wall clock. DURATION and a UTC
	// UNTIL too.
	berlin := strings.Join([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//t//EN", "BEGIN:VEVENT", "UID:b@example.com",
		"DTSTAMP:20261001T000000Z", "DTSTART;TZID=Europe/Berlin:20261019T100000", "DURATION:PT45M",
		"RRULE:FREQ=WEEKLY;UNTIL=20261102T235959Z", "END:VEVENT", "END:VCALENDAR", ""}, "\r\n")
	got, err = expandBusy([]byte(berlin), chicago, utc("2026-10-01T00:00:00Z"), utc("2026-12-01T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	sameBlocks(t, "Berlin across DST", got, blocks(
		"2026-10-19T08:00:00Z", "2026-10-19T08:45:00Z",
		"2026-10-26T09:00:00Z", "2026-10-26T09:45:00Z",
		"2026-11-02T09:00:00Z", "2026-11-02T09:45:00Z"))

	for name, bad := range map[string]string{
		"not a calendar": "<html>hello</html>",
		"every second":   strings.Replace(berlin, "FREQ=WEEKLY;UNTIL=20261102T235959Z", "FREQ=SECONDLY", 1),
	} {
		if _, err := expandBusy([]byte(bad), chicago, utc("2026-10-01T00:00:00Z"), utc("2026-12-01T00:00:00Z")); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// calendarServer is the realtor's calendar provider: HTTPS on 127.0.0.1,
// serving whatever body is set, counting its requests.
type calendarServer struct {
	srv      *httptest.Server
	mu       sync.Mutex
	body     []byte
	status   int
	requests atomic.Int64
}

func newCalendarServer(t *testing.T, body []byte) *calendarServer {
	cs := &calendarServer{body: body, status: 200}
	cs.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.requests.Add(1)
		cs.mu.Lock()
		defer cs.mu.Unlock()
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		w.WriteHeader(cs.status)
		_, _ = w.Write(cs.body)
	}))
	t.Cleanup(cs.srv.Close)
	return cs
}

func (cs *calendarServer) set(status int, body []byte) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.status, cs.body = status, body
}

// busyEvents are the busy_changed events iam has written, in order.
func (h *harness) busyEvents() []events.RealtorBusyChanged {
	return outboxtest.Data[events.RealtorBusyChanged](h.t, h.db, events.TypeRealtorBusyChanged)
}

func toBlocks(e events.RealtorBusyChanged) []busyBlock {
	out := make([]busyBlock, len(e.Blocks))
	for i, b := range e.Blocks {
		out[i] = busyBlock{Start: b.Start, End: b.End}
	}
	return out
}

// TestCalendarImport: a realtor sets their calendar's secret address; the
// sync fetches it over HTTPS from a local fixture server and announces
// exactly the fixture's busy blocks; GET /iam/me shows when it last
// succeeded and never the URL. With the weekly event removed from the
// fixture, the next sync (10 minutes on) announces the blocks without it;
// an unchanged calendar announces nothing; a failing server shows its
// error and backs off; removing the URL announces no blocks.
func TestCalendarImport(t *testing.T) {
	raw, err := os.ReadFile("testdata/busy.ics")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		cs := newCalendarServer(t, raw)
		var logs bytes.Buffer
		h := newHarness(t, open, func(c *Config) {
			c.Calendar.Fetch.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
			c.Calendar.Fetch.RootCAs = x509.NewCertPool()
			c.Calendar.Fetch.RootCAs.AddCert(cs.srv.Certificate())
			c.Log = slog.New(slog.NewTextHandler(&logs, nil))
		})
		ctx := context.Background()
		realtor := h.register(roleRealtor, "rita")
		if resp := h.do("PATCH", "/iam/me", realtor.token, map[string]any{"time_zone": "America/Chicago"}); resp.status != 200 {
			t.Fatalf("time zone: %d %s", resp.status, resp.body)
		}
		secret := cs.srv.URL + "/calendar/ical/rita%40example.com/private-0123456789abcdef/basic.ics"
		resp := h.do("PATCH", "/iam/me", realtor.token, map[string]any{"calendar_url": secret})
		if resp.status != 200 || strings.Contains(string(resp.body), "private-0123456789abcdef") {
			t.Fatalf("set calendar_url: %d %s", resp.status, resp.body)
		}
		if n, err := h.svc.SyncCalendars(ctx); err != nil || n != 1 {
			t.Fatalf("sync = %d, %v", n, err)
		}
		evs := h.busyEvents()
		if len(evs) != 1 || evs[0].RealtorID != realtor.id {
			t.Fatalf("busy events = %+v", evs)
		}
		sameBlocks(t, "first sync", toBlocks(evs[0]), fixtureBusy)
		me := h.do("GET", "/iam/me", realtor.token, nil)
		sync, _ := me.json(t)["calendar_sync"].(map[string]any)
		if sync["url_set"] != true || sync["last_success_at"] == nil || sync["last_error"] != nil || strings.Contains(string(me.body), "private-0123") {
			t.Fatalf("GET /iam/me calendar_sync = %v (%s)", sync, me.body)
		}

		// Nothing is due before the interval; then an unchanged calendar is
		// fetched again and announces nothing.
		if n, _ := h.svc.SyncCalendars(ctx); n != 0 || cs.requests.Load() != 1 {
			t.Fatalf("a sync before the interval: %d handled, %d requests", n, cs.requests.Load())
		}
		h.clock.Advance(10 * time.Minute)
		if n, _ := h.svc.SyncCalendars(ctx); n != 1 || len(h.busyEvents()) != 1 {
			t.Fatalf("unchanged calendar: %d handled, %d events", n, len(h.busyEvents()))
		}

		// The weekly meeting leaves the calendar: the next sync announces
		// the blocks without it.
		i := bytes.Index(raw, []byte("BEGIN:VEVENT\r\nUID:weekly-standup"))
		j := bytes.Index(raw, []byte("BEGIN:VEVENT\r\nUID:holiday"))
		cs.set(200, append(append([]byte{}, raw[:i]...), raw[j:]...))
		h.clock.Advance(10 * time.Minute)
		if _, err := h.svc.SyncCalendars(ctx); err != nil {
			t.Fatal(err)
		}
		evs = h.busyEvents()
		if len(evs) != 2 {
			t.Fatalf("after removing the meeting: %d events", len(evs))
		}
		sameBlocks(t, "without the meeting", toBlocks(evs[1]), blocks("2026-12-03T06:00:00Z", "2026-12-04T06:00:00Z"))

		// A failing server: the error shows, the blocks stay, retries back off.
		cs.set(500, nil)
		h.clock.Advance(10 * time.Minute)
		_, _ = h.svc.SyncCalendars(ctx)
		realtor.token = h.login(realtor.email, realtor.password) // the clock moved past the access token's life
		me = h.do("GET", "/iam/me", realtor.token, nil)
		sync, _ = me.json(t)["calendar_sync"].(map[string]any)
		if msg, _ := sync["last_error"].(string); !strings.Contains(msg, "500") || sync["last_success_at"] == nil {
			t.Fatalf("after a failure calendar_sync = %v: %d %s", sync, me.status, me.body)
		}
		before := cs.requests.Load()
		h.clock.Advance(10 * time.Minute) // the second try waits 20 minutes
		_, _ = h.svc.SyncCalendars(ctx)
		h.clock.Advance(10 * time.Minute)
		_, _ = h.svc.SyncCalendars(ctx)
		if got := cs.requests.Load() - before; got != 1 {
			t.Errorf("20 minutes after one failure: %d fetches, want 1 (backoff)", got)
		}
		if len(h.busyEvents()) != 2 {
			t.Errorf("a failure announced blocks")
		}

		// Removing the URL: no more blocks.
		realtor.token = h.login(realtor.email, realtor.password)
		if resp := h.do("PATCH", "/iam/me", realtor.token, map[string]any{"calendar_url": ""}); resp.status != 200 {
			t.Fatalf("clear: %d %s", resp.status, resp.body)
		}
		if evs := h.busyEvents(); len(evs) != 3 || len(evs[2].Blocks) != 0 {
			t.Fatalf("after removing the URL: %+v", evs)
		}
		if strings.Contains(logs.String(), "private-0123") {
			t.Errorf("the calendar URL reached the logs:\n%s", logs.String())
		}

		// Bad URLs are refused as they are given.
		for _, bad := range []string{"http://calendar.example.com/x.ics", "webcal://calendar.example.com/x.ics", "https://u:p@calendar.example.com/x.ics", "not a url"} {
			if resp := h.do("PATCH", "/iam/me", realtor.token, map[string]any{"calendar_url": bad}); resp.status != 422 {
				t.Errorf("calendar_url %q = %d, want 422", bad, resp.status)
			}
		}
		customer := h.register(roleCustomer, "carl")
		if resp := h.do("PATCH", "/iam/me", customer.token, map[string]any{"calendar_url": secret}); resp.status != 422 {
			t.Errorf("a customer's calendar_url = %d, want 422", resp.status)
		}
	})
}

// TestCalendarImportRefusesInternalAddresses: a calendar URL at a loopback
// address, or at a public-looking server that redirects to one, is
// refused at the dial (the error shows on the profile) and the listener
// there receives nothing. The full list of refused addresses is
// egress's TestRefusesNonPublicAddresses.
func TestCalendarImportRefusesInternalAddresses(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		// The victim listens on 127.0.0.2; the redirector, on 127.0.0.1,
		// stands for a public server: it alone is allowed.
		victim := &calendarServer{status: 200, body: []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")}
		victim.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			victim.requests.Add(1)
			w.Header().Set("Content-Type", "text/calendar")
			_, _ = w.Write(victim.body)
		}))
		ln, err := net.Listen("tcp", "127.0.0.2:0")
		if err != nil {
			t.Skipf("no 127.0.0.2 here: %v", err)
		}
		var conns atomic.Int64
		victim.srv.Listener = ln
		victim.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}
		victim.srv.StartTLS()
		t.Cleanup(victim.srv.Close)
		redirector := httptest.NewTLSServer(http.RedirectHandler(victim.srv.URL+"/internal.ics", http.StatusFound))
		t.Cleanup(redirector.Close)
		h := newHarness(t, open, func(c *Config) {
			c.Calendar.Fetch.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
			c.Calendar.Fetch.RootCAs = x509.NewCertPool()
			c.Calendar.Fetch.RootCAs.AddCert(redirector.Certificate())
			c.Calendar.Fetch.Lookup = func(_ context.Context, _, host string) ([]netip.Addr, error) {
				return []netip.Addr{netip.MustParseAddr("127.0.0.2")}, nil // any name: the victim
			}
		})
		ctx := context.Background()
		realtor := h.register(roleRealtor, "rita")
		_, port, _ := net.SplitHostPort(victim.srv.Listener.Addr().String())
		for _, u := range []string{victim.srv.URL + "/x.ics", "https://calendar.example.test:" + port + "/x.ics", redirector.URL + "/x.ics"} {
			if resp := h.do("PATCH", "/iam/me", realtor.token, map[string]any{"calendar_url": u}); resp.status != 200 {
				t.Fatalf("set %s: %d %s", u, resp.status, resp.body)
			}
			if _, err := h.svc.SyncCalendars(ctx); err != nil {
				t.Fatal(err)
			}
			sync, _ := h.do("GET", "/iam/me", realtor.token, nil).json(t)["calendar_sync"].(map[string]any)
			if msg, _ := sync["last_error"].(string); !strings.Contains(msg, "not allowed") {
				t.Errorf("%s: calendar_sync = %v, want the address refused", u, sync)
			}
		}
		if n := conns.Load(); n != 0 {
			t.Errorf("the internal listener received %d connections", n)
		}
		if n := len(h.busyEvents()); n != 0 {
			t.Errorf("%d busy events from refused calendars", n)
		}
	})
}

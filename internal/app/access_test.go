package app_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/telemetry"
)

// TestAccessNeverLeaks (issue 16, must show 3): a home's access set by its
// provider reaches the tour's assigned realtor inside the window (the lead
// is 72 h here, so the tour two days ahead is in it), and nobody else; the
// read is in the audit log; and in the whole run no event of any stream,
// log line, span, notification or live-stream message holds the code or
// the instructions.
func TestAccessNeverLeaks(t *testing.T) {
	t.Parallel() // one of the package's longest tests: they overlap, each on a system of its own
	const code, instructions = "ZX-4821-lockbox", "Blue lockbox behind the gate"
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	logs := &lockedBuffer{}
	log := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	cfg := backends(t)["embedded"]
	cfg.AccessLead = 72 * time.Hour
	cfg.AdminEmail, cfg.AdminPassword = "root-access@example.com", "the admin passphrase"
	a, c := startAppWith(t, cfg, log, app.WithTracerProvider(tp))

	var (
		mu        sync.Mutex
		published []string
	)
	for _, svc := range app.ServiceNames() {
		stop, err := a.Bus().Tail(t.Context(), svc, func(ev bus.Event) {
			raw, _ := bus.Encode(ev)
			mu.Lock()
			published = append(published, string(raw))
			mu.Unlock()
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	}
	w := newWorld(t, c, cfg.AdminEmail, cfg.AdminPassword)
	streamed := &lockedBuffer{}
	stream := func(token string) {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/events/stream", nil)
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				fmt.Fprintln(streamed, sc.Text())
			}
		}()
		t.Cleanup(func() { cancel(); resp.Body.Close(); <-done })
	}
	stream(w.admin)
	stream(w.provider)

	home := w.listing("Loop loft", 41.8781, -87.6298)
	if status, out := c.call("PATCH", "/listings/"+home, w.provider, map[string]any{
		"access": map[string]string{"instructions": instructions, "code": code}}); status != 200 || out["access_set"] != true {
		t.Fatalf("set access = %d %v", status, out)
	}
	realtor, realtorID := w.realtor(41.88, -87.63)
	stream(realtor)
	otherRealtor, _ := w.realtor(41.89, -87.64)
	w.checkout(w.customer, []string{home}, tomorrowLocal(10), "access-"+w.suffix)
	var tourID string
	eventually(t, "the tour to be scheduled", 15*time.Second, func() bool {
		ts := w.tours(w.customer)
		if len(ts) == 1 && ts[0]["status"] == "scheduled" && ts[0]["realtor_id"] == realtorID {
			tourID = ts[0]["id"].(string)
			return true
		}
		return false
	})

	status, out := c.call("GET", "/tours/"+tourID+"/access", realtor, nil)
	items, _ := out["items"].([]any)
	if status != 200 || len(items) != 1 || items[0].(map[string]any)["code"] != code || items[0].(map[string]any)["instructions"] != instructions {
		t.Fatalf("the realtor's read = %d %v", status, out)
	}
	for who, token := range map[string]string{"another realtor": otherRealtor, "the customer": w.customer, "the provider": w.provider, "an admin": w.admin} {
		if status, out := c.call("GET", "/tours/"+tourID+"/access", token, nil); status != 404 {
			t.Errorf("%s read the access: %d %v", who, status, out)
		}
	}
	eventually(t, "the read in the audit log", 15*time.Second, func() bool {
		_, out := c.call("GET", "/iam/audit?action=tour.access.read", w.admin, nil)
		items, _ := out["items"].([]any)
		return len(items) == 1 && items[0].(map[string]any)["actor_id"] == realtorID
	})
	// Everything the run told anyone, once the realtor's notice of the
	// open window has come (the sweep's first round after the booking).
	eventually(t, "the realtor told the access opened", 90*time.Second, func() bool {
		_, inbox := c.call("GET", "/notifications", realtor, nil)
		for _, n := range inbox["items"].([]any) {
			if n.(map[string]any)["kind"] == "access_open" {
				return true
			}
		}
		return false
	})

	var told strings.Builder
	for _, token := range []string{w.customer, w.provider, realtor, otherRealtor, w.admin} {
		_, inbox := c.call("GET", "/notifications?limit=100", token, nil)
		fmt.Fprint(&told, inbox)
	}
	var spans strings.Builder
	for _, s := range rec.Ended() {
		fmt.Fprint(&spans, s.Name(), s.Attributes(), s.Events())
	}
	mu.Lock()
	events := strings.Join(published, "\n")
	mu.Unlock()
	if !strings.Contains(events, "openhouse.tour.access.opened.v1") || !strings.Contains(events, "tour.access.read") {
		t.Fatalf("the tail missed the access events:\n%.2000s", events)
	}
	for what, text := range map[string]string{"events": events, "logs": logs.String(), "spans": spans.String(),
		"notifications": told.String(), "live stream": streamed.String()} {
		if text == "" {
			t.Errorf("no %s recorded: the check would pass on nothing", what)
		}
		for _, secret := range []string{code, "ZX-4821", instructions, "Blue lockbox"} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s hold %q", what, secret)
			}
		}
	}
}

package tour

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestAdminStats: GET /tours/stats counts the tours booked in each of the
// last hours (every hour present, oldest first) on each engine, and says
// what the service's own histogram holds.
func TestAdminStats(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		db := open(t, "tour")
		if err := outbox.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		c := clock.NewFake(time.Date(2026, 11, 24, 9, 10, 0, 0, time.UTC)) // the fake clock only moves forward
		st, err := NewSQLStore(ctx, db, c.Now)
		if err != nil {
			t.Fatal(err)
		}
		svc, err := New(st, Peers{Payments: &refunds{byKey: map[string]clients.RefundRequest{}}, Holds: &desk{holds: map[string]clients.HoldRequest{}}, Slots: openBook{}, Access: &lockboxes{}, Listings: &lockboxes{}},
			Config{Clock: c, Metrics: prometheus.NewRegistry(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		// Two tours at 09:10, none at 10:00, three at 11:xx; one the day before.
		for i, at := range []time.Duration{-24 * time.Hour, 0, 0, 2 * time.Hour, 2*time.Hour + 20*time.Minute, 2*time.Hour + 49*time.Minute} {
			c.Set(time.Date(2026, 11, 25, 9, 10, 0, 0, time.UTC).Add(at))
			o := oneHomeOrder("o-"+string(rune('a'+i)), "cust-1", time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC))
			if err := placeAndPay(svc, o); err != nil {
				t.Fatal(err)
			}
		}
		var handler = func(target string) (int, map[string]any) {
			for _, rt := range svc.Routes() {
				if rt.Pattern == "GET /tours/stats" {
					w := httptest.NewRecorder()
					rt.Handler.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
					var out map[string]any
					json.Unmarshal(w.Body.Bytes(), &out)
					return w.Code, out
				}
			}
			t.Fatal("no GET /tours/stats")
			return 0, nil
		}
		status, out := handler("/tours/stats?hours=3")
		if status != 200 {
			t.Fatalf("= %d %v", status, out)
		}
		hours := out["bookings_per_hour"].([]any)
		var got []float64
		for _, h := range hours {
			got = append(got, h.(map[string]any)["count"].(float64))
		}
		if len(got) != 3 || got[0] != 2 || got[1] != 0 || got[2] != 3 {
			t.Errorf("bookings per hour = %v, want [2 0 3]", got)
		}
		if first := hours[0].(map[string]any)["hour"]; first != "2026-11-25T09:00:00Z" || out["to"] != "2026-11-25T12:00:00Z" {
			t.Errorf("from %v to %v, want 09:00 to 12:00", first, out["to"])
		}
		if tts := out["time_to_schedule"].(map[string]any); tts["count"] != 0.0 || tts["p50_seconds"] != nil {
			t.Errorf("time to schedule before any assignment = %v", tts)
		}
		if _, out := handler("/tours/stats"); len(out["bookings_per_hour"].([]any)) != 24 {
			t.Errorf("default window: %d hours, want 24", len(out["bookings_per_hour"].([]any)))
		}
		for _, bad := range []string{"/tours/stats?hours=0", "/tours/stats?hours=169", "/tours/stats?hours=x", "/tours/stats?days=1"} {
			if status, out := handler(bad); status != 400 {
				t.Errorf("%s = %d %v, want 400", bad, status, out)
			}
		}
	})
}

package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// BenchmarkBooking measures the saga's latency as a customer sees it: from
// sending POST /cart/checkout to the tour.scheduled event (a realtor
// assigned), for b.N bookings arriving open-loop at 50 per second on
// embedded defaults. Each booking is a different customer at a different
// time, so every one can be scheduled.
//
//	go test -run '^$' -bench BenchmarkBooking -benchtime 300x ./internal/app
func BenchmarkBooking(b *testing.B) {
	const rate = 50 // bookings per second
	cfg := app.Config{HTTPAddr: "127.0.0.1:0", DataDir: b.TempDir(), Services: app.ServiceNames(), StreamReplicas: 1,
		ShutdownTimeout: 10 * time.Second, LogLevel: "error", LogFormat: "json",
		AdminEmail: "root@bench.example", AdminPassword: "the admin passphrase"}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { stop(); <-done }()
	c := client{t: b, base: "http://" + a.Addr()}
	w := newWorld(b, c, cfg.AdminEmail, cfg.AdminPassword)
	home := w.listing("Loop loft", 41.8781, -87.6298)
	for i := range 10 {
		w.realtor(41.88+float64(i)*0.005, -87.63)
	}
	customers := make([]string, b.N)
	for i := range customers {
		customers[i] = w.user("customer", false)
		if status, out := c.call("POST", "/cart/items", customers[i], map[string]string{"listing_id": home}); status != 200 {
			b.Fatalf("add to cart = %d %v", status, out)
		}
	}

	var (
		mu        sync.Mutex
		sentAt    = map[string]time.Time{} // order id -> checkout sent
		scheduled = map[string]time.Time{} // order id -> tour.scheduled seen
		allDone   = make(chan struct{})
	)
	stopWatch, err := a.Bus().Watch(ctx, "tour", []string{events.TypeTourScheduled}, func(ev bus.Event) {
		var e events.TourScheduled
		if ev.DataAs(&e) != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if _, seen := scheduled[e.OrderID]; !seen {
			scheduled[e.OrderID] = time.Now()
			if len(scheduled) == b.N {
				close(allDone)
			}
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer stopWatch()

	chicago, _ := time.LoadLocation("America/Chicago")
	day0 := time.Now().In(chicago).AddDate(0, 0, 2)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range b.N {
		next := start.Add(time.Duration(i) * time.Second / rate)
		time.Sleep(time.Until(next)) // open-loop arrivals, not a synchronisation
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := day0.AddDate(0, 0, i/11)
			at := time.Date(d.Year(), d.Month(), d.Day(), 8+i%11, 0, 0, 0, chicago)
			sent := time.Now()
			status, out := c.raw("POST", "/cart/checkout", customers[i], map[string]string{"Idempotency-Key": fmt.Sprint("bench-", i)},
				map[string]string{"scheduled_at": at.Format(time.RFC3339), "payment_method": "tok_visa"})
			if status != 201 {
				b.Errorf("checkout %d = %d %s", i, status, out)
				return
			}
			var order struct {
				OrderID string `json:"order_id"`
			}
			if err := jsonUnmarshal(out, &order); err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			sentAt[order.OrderID] = sent
			mu.Unlock()
		}()
	}
	wg.Wait()
	select {
	case <-allDone:
	case <-time.After(60 * time.Second):
		b.Fatalf("only %d of %d bookings were scheduled within 60s", len(scheduled), b.N)
	}
	elapsed := time.Since(start)
	b.StopTimer()

	mu.Lock()
	defer mu.Unlock()
	lat := make([]time.Duration, 0, b.N)
	for order, sent := range sentAt {
		lat = append(lat, scheduled[order].Sub(sent))
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "bookings/s")
}

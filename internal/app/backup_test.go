package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/bench"
)

// runApp runs an app until the returned stop is called (or the test ends).
func runApp(t *testing.T, cfg app.Config) (a *app.App, stop func()) {
	t.Helper()
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	t.Cleanup(stop)
	return a, stop
}

// TestBackupUnderLoadRestores takes a backup of a system under booking
// load through the control socket, as `openhouse backup` does, restores it
// into a new data directory and serves it: every order answered before the
// backup, and every order the restored system holds a payment for, ends
// with one settled tour; nothing is double-booked or charged twice; the
// outboxes drain and every consumer catches up.
func TestBackupUnderLoadRestores(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the bench for seconds")
	}
	ctx := context.Background()
	began := time.Now()
	phase := func(what string) { t.Logf("%5.1fs %s", time.Since(began).Seconds(), what) }
	cfg := app.Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), Services: app.ServiceNames(), StreamReplicas: 1,
		ShutdownTimeout: 10 * time.Second, LogLevel: "error", LogFormat: "json",
		AdminEmail: "root@backup.example", AdminPassword: "the admin passphrase"}
	a, stop := runApp(t, cfg)

	var (
		mu       sync.Mutex
		answered []string
		enough   = make(chan struct{})
	)
	load := bench.Config{BaseURL: "http://" + a.Addr(), AdminEmail: cfg.AdminEmail, AdminPassword: cfg.AdminPassword,
		Rate: 12, Duration: 4 * time.Second, Customers: 10, Realtors: 4, Listings: 6, Providers: 1,
		SearchRate: 4, UpdateRate: 1, ToggleRate: 0.5, SagaTimeout: 30 * time.Second,
		Answered: func(order string) {
			mu.Lock()
			defer mu.Unlock()
			answered = append(answered, order)
			if len(answered) == 8 {
				close(enough)
			}
		}}
	reports := make(chan *bench.Report, 1)
	go func() {
		rep, err := bench.Run(ctx, load)
		if err != nil {
			t.Error(err)
		}
		reports <- rep
	}()
	phase("loading")
	select {
	case <-enough: // the load is well under way
	case rep := <-reports:
		t.Fatalf("the load ended before 8 checkouts: %+v", rep)
	}

	// Backups until one catches events in the middle of their journey
	// (waiting in an outbox, or delivered and not yet acknowledged): that
	// is the one restored.
	archivePath := filepath.Join(t.TempDir(), "openhouse.backup")
	var (
		before []string // answered before the backup began: they must survive it
		info   app.BackupInfo
	)
	for attempt := 1; ; attempt++ {
		mu.Lock()
		before = slices.Clone(answered)
		mu.Unlock()
		out, err := os.Create(archivePath)
		if err != nil {
			t.Fatal(err)
		}
		info, err = app.RequestBackup(ctx, cfg.DataDir, out)
		if err != nil {
			t.Fatal(err)
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
		pending, unacked := info.InFlight()
		st, err := os.Stat(archivePath)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("backup %d: %d databases, %d streams, %d KiB; writes held %s, events held %s; %d events pending in outboxes, %d deliveries unacknowledged",
			attempt, len(info.Databases), len(info.Streams), st.Size()>>10, info.WritesHeld, info.EventsHeld, pending, unacked)
		if pending+unacked >= 3 {
			break
		}
		if attempt == 20 {
			t.Fatal("20 backups under load and none caught 3 events in flight")
		}
	}
	if len(info.Databases) != len(app.ServiceNames()) {
		t.Fatalf("the backup holds %d databases, want %d", len(info.Databases), len(app.ServiceNames()))
	}

	phase("backup taken")
	rep := <-reports
	phase("load over, checked")
	if rep == nil {
		t.FailNow()
	}
	if rep.Correctness.Failed() {
		t.Fatalf("the loaded system itself failed its check: %+v", rep.Correctness)
	}
	stop()

	restored := cfg
	restored.DataDir = filepath.Join(t.TempDir(), "restored")
	in, err := os.Open(archivePath)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if _, err := app.Restore(ctx, in, restored.DataDir, time.Now()); err != nil {
		t.Fatal(err)
	}
	phase("restored")
	// The secrets key (it seals calendar URLs) comes back with the data.
	oldKey, err1 := os.ReadFile(filepath.Join(cfg.DataDir, "secrets.key"))
	newKey, err2 := os.ReadFile(filepath.Join(restored.DataDir, "secrets.key"))
	if err1 != nil || err2 != nil || string(oldKey) != string(newKey) {
		t.Fatalf("secrets key not restored as it was (%v, %v)", err1, err2)
	}
	b, _ := runApp(t, restored)
	caughtUp(t, b)
	phase("caught up")
	got, err := bench.Check(ctx, "http://"+b.Addr(), cfg.AdminEmail, cfg.AdminPassword, before, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	phase("checked")
	t.Logf("restored: %+v (%d orders answered before the backup)", got, len(before))
	if got.Failed() {
		t.Fatalf("after the restore: %d lost bookings, %d duplicate tours, %d duplicate charges, %d double bookings",
			got.LostBookings, got.DuplicateTours, got.DuplicateCharges, got.DoubleBookings)
	}
	if got.Tours < len(before) {
		t.Fatalf("%d tours after the restore, fewer than the %d orders answered before the backup", got.Tours, len(before))
	}
	caughtUp(t, b)
}

// caughtUp waits until every outbox is empty and every durable consumer
// has had and acknowledged everything, as the metrics an operator watches
// say.
func caughtUp(t *testing.T, a *app.App) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		behind, err := behind(a)
		if err != nil {
			t.Fatal(err)
		}
		if len(behind) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not caught up after 60 s: %s", strings.Join(behind, ", "))
		}
		time.Sleep(50 * time.Millisecond) // polling the metrics, not synchronising goroutines
	}
}

// behind lists the series of outbox backlog, consumer pending and consumer
// ack pending that are not 0.
func behind(a *app.App) ([]string, error) {
	families, err := a.Registry().Gather()
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for _, f := range families {
		name := f.GetName()
		switch name {
		case "openhouse_outbox_backlog", "openhouse_consumer_pending", "openhouse_consumer_ack_pending":
		default:
			continue
		}
		seen[name] = true
		for _, m := range f.GetMetric() {
			if v := m.GetGauge().GetValue(); v != 0 {
				out = append(out, fmt.Sprintf("%s%s=%g", name, labels(m), v))
			}
		}
	}
	if len(seen) != 3 {
		out = append(out, "consumers not all subscribed yet")
	}
	return out, nil
}

func labels(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	return "{" + strings.Join(parts, ",") + "}"
}

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/bench"
)

// TestBenchEmbedded runs `openhouse bench --embedded` as a user would, at a
// low rate for 3 s: it must start its own serve, book tours that get
// scheduled, find nothing double-booked, lost or charged twice, exit 0 and
// write a report --compare can read.
func TestBenchEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	report := filepath.Join(t.TempDir(), "bench.json")
	profile := filepath.Join(t.TempDir(), "serve.pprof")
	cmd := exec.CommandContext(ctx, binary, "bench", "--embedded", "--rate", "5", "--duration", "3s",
		"--customers", "8", "--realtors", "4", "--listings", "8", "--search-rate", "10", "--floor", "200",
		"--cpuprofile", profile, "--json", report)
	cmd.Env = append(os.Environ(), "OPENHOUSE_DATABASE_URL=", "OPENHOUSE_NATS_URL=", "OPENHOUSE_REDIS_URL=",
		"OPENHOUSE_ADMIN_EMAIL=", "OPENHOUSE_ADMIN_PASSWORD=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	r, err := bench.ReadReport(report)
	if err != nil {
		t.Fatal(err)
	}
	if r.Bookings.Checkouts == 0 || r.Bookings.Scheduled == 0 {
		t.Errorf("bookings: %+v, want checkouts and scheduled tours", r.Bookings)
	}
	if r.Correctness.Failed() || r.Correctness.Tours == 0 || r.Correctness.Payments == 0 {
		t.Errorf("correctness: %+v", r.Correctness)
	}
	if r.Ops["search"].Count == 0 {
		t.Errorf("no searches: %+v", r.Ops)
	}
	if r.Floor == nil || r.Floor.Samples != 200 || r.Floor.P50MS <= 0 {
		t.Errorf("floor: %+v, want 200 round trips measured", r.Floor)
	}
	if r.Server == nil || r.Server.CPUSeconds <= 0 || r.Server.MSPerBooking <= 0 || r.Server.Processes != 1 {
		t.Errorf("server CPU: %+v, want the serve process's CPU time", r.Server)
	}
	// A booking publishes payment.succeeded, tour.created,
	// appointment.scheduled and tour.scheduled at least.
	if e := r.Events; e == nil || e.PerBooking < 4 || e.Handled <= 0 || e.PublishedPerSecond <= 0 {
		t.Errorf("events: %+v, want those of every booking, read from /metrics", r.Events)
	}
	if st, err := os.Stat(profile); err != nil || st.Size() == 0 {
		t.Errorf("CPU profile of the load: %v", err)
	}
	if !strings.Contains(string(out), "correctness OK") {
		t.Errorf("output lacks the verdict:\n%s", out)
	}

	cmp := exec.CommandContext(ctx, binary, "bench", "--url", "http://127.0.0.1:1", "--compare", filepath.Join(t.TempDir(), "missing.json"))
	if out, err := cmp.CombinedOutput(); cmp.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "--compare") {
		t.Errorf("--compare with a missing file = %v\n%s", err, out)
	}
}

func TestBenchFlags(t *testing.T) {
	var out, errOut strings.Builder
	empty := func(string) string { return "" }
	for _, args := range [][]string{{"bench"}, {"bench", "--url", "http://x", "--embedded"}, {"bench", "--url", "http://x", "extra"},
		{"bench", "--cluster", t.TempDir()}, {"bench", "--cluster", t.TempDir(), "--embedded"}} {
		errOut.Reset()
		if code := run(context.Background(), args, empty, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut.String())
		}
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/openhouse/openhouse/internal/bench"
	"github.com/openhouse/openhouse/internal/cluster"
)

// benchCommand runs `openhouse bench`: load against a running system (or
// one it starts, --embedded), a report, and exit 1 when the correctness
// counters are not all 0.
func benchCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 2 && args[0] == serveProfiledFlag {
		return serveProfiled(ctx, args[1], getenv, stdout, stderr)
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg bench.Config
	fs.StringVar(&cfg.BaseURL, "url", "", "base URL of a running openhouse (required unless --embedded)")
	embedded := fs.Bool("embedded", false, "start `openhouse serve` on embedded defaults in a temporary data directory and drive it")
	clusterDir := fs.String("cluster", "", "drive the cluster `openhouse cluster up` started in this run directory (its gateway and admin unless --url and --admin-* say otherwise); report the CPU of all its processes and the events of its services")
	fs.StringVar(&cfg.AdminEmail, "admin-email", getenv("OPENHOUSE_ADMIN_EMAIL"), "admin e-mail (OPENHOUSE_ADMIN_EMAIL)")
	fs.StringVar(&cfg.AdminPassword, "admin-password", getenv("OPENHOUSE_ADMIN_PASSWORD"), "admin password (OPENHOUSE_ADMIN_PASSWORD)")
	fs.Float64Var(&cfg.Rate, "rate", 50, "bookings per second, open loop")
	fs.DurationVar(&cfg.Duration, "duration", 20*time.Second, "how long to apply the load")
	fs.IntVar(&cfg.Customers, "customers", 200, "customers (each books one tour at a time)")
	fs.IntVar(&cfg.Realtors, "realtors", 50, "realtors")
	fs.IntVar(&cfg.Listings, "listings", 60, "listings in the metro")
	fs.Float64Var(&cfg.SearchRate, "search-rate", 100, "listing searches per second")
	fs.Float64Var(&cfg.UpdateRate, "update-rate", 1, "listing updates by providers per second")
	fs.Float64Var(&cfg.ToggleRate, "toggle-rate", 0.5, "realtor availability toggles per second")
	fs.DurationVar(&cfg.Poll, "poll", 2*time.Millisecond, "how often a booking's tour is read until scheduled")
	fs.Float64Var(&cfg.PollBudget, "poll-budget", 500, "at most this many tour reads per second for all outstanding bookings together")
	fs.DurationVar(&cfg.SagaTimeout, "saga-timeout", 30*time.Second, "how long a booking may take to be scheduled or unassigned")
	fs.IntVar(&cfg.FloorSamples, "floor", 2000, "bare JetStream round trips to measure before seeding, the floor of an event hop (0: none)")
	cpuProfile := fs.String("cpuprofile", "", "with --embedded: write a CPU profile of the serve process during the load to this file (go tool pprof)")
	jsonOut := fs.String("json", "", "write the report as JSON to this file")
	compare := fs.String("compare", "", "a JSON report of an earlier run to compare with")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "openhouse bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *clusterDir != "" {
		if *embedded {
			fmt.Fprintln(stderr, "openhouse bench: give --embedded or --cluster, not both")
			return 2
		}
		if err := clusterTarget(*clusterDir, &cfg); err != nil {
			fmt.Fprintln(stderr, "openhouse bench: --cluster:", err)
			return 2
		}
	}
	if (cfg.BaseURL == "") == !*embedded {
		fmt.Fprintln(stderr, "openhouse bench: give exactly one of --url, --embedded and --cluster")
		return 2
	}
	var old *bench.Report
	if *compare != "" {
		var err error
		if old, err = bench.ReadReport(*compare); err != nil {
			fmt.Fprintln(stderr, "openhouse bench: --compare:", err)
			return 2
		}
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if *embedded {
		srv, err := startEmbedded(ctx, &cfg, *cpuProfile, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "openhouse bench:", err)
			return 1
		}
		defer srv.stop(stderr)
		cfg.ServerProcesses = map[string]int{"serve": srv.cmd.Process.Pid}
		if *cpuProfile != "" {
			cfg.LoadStarted = func() { _ = srv.cmd.Process.Signal(syscall.SIGUSR1) }
		}
	}
	if len(cfg.MetricsURLs) == 0 {
		cfg.MetricsURLs = []string{cfg.BaseURL + "/metrics"} // one serve process, or a gateway (no events)
	}
	cfg.Progress = stderr
	if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			cfg.Terminal = true
		}
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "openhouse bench:", err)
		return 1
	}
	_ = rep.WriteTable(stdout)
	if *jsonOut != "" {
		if err := rep.WriteJSON(*jsonOut); err != nil {
			fmt.Fprintln(stderr, "openhouse bench:", err)
			return 1
		}
	}
	if old != nil {
		fmt.Fprintf(stdout, "\ncompared with %s (%s):\n", *compare, old.StartedAt.Format(time.RFC3339))
		_ = bench.WriteComparison(stdout, bench.Compare(old, rep))
	}
	if rep.Correctness.Failed() {
		return 1
	}
	return 0
}

// clusterTarget points cfg at the cluster whose run directory is dir: its
// gateway and first admin (unless already set), every process it started
// for the CPU time, and every service instance's /metrics for the events.
func clusterTarget(dir string, cfg *bench.Config) error {
	st, err := cluster.ReadState(dir)
	if err != nil {
		return fmt.Errorf("no cluster in %s: %w", dir, err)
	}
	t, err := cluster.Plan(st.Options, cluster.RandomSecret(st.Secrets))
	if err != nil {
		return err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = t.GatewayURL()
	}
	if cfg.AdminEmail == "" || cfg.AdminPassword == "" {
		cfg.AdminEmail, cfg.AdminPassword = st.Options.AdminEmail, st.Options.AdminPassword
	}
	for _, p := range t.Procs {
		pid := st.Pids[p.Name]
		if pid <= 0 || !cluster.Alive(pid, p.Bin) {
			return fmt.Errorf("%s is not running (openhouse cluster status --dir %s)", p.Name, dir)
		}
		if cfg.ServerProcesses == nil {
			cfg.ServerProcesses = map[string]int{}
		}
		cfg.ServerProcesses[p.Name] = pid
		if p.Service != "" && p.Service != "gateway" {
			cfg.MetricsURLs = append(cfg.MetricsURLs, "http://"+p.Addr+"/metrics")
		}
	}
	return nil
}

// embeddedServer is `openhouse serve` in a child process.
type embeddedServer struct {
	cmd  *exec.Cmd
	dir  string
	logs *bytes.Buffer
	done chan error
}

// startEmbedded runs this binary's `serve` on embedded defaults in a
// temporary directory on a free loopback port, with the configured admin
// (or a generated one), and waits for /healthz. The system runs in its own
// process so the bench measures it over HTTP only, as it would any other.
func startEmbedded(ctx context.Context, cfg *bench.Config, cpuProfile string, stderr io.Writer) (*embeddedServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "openhouse-bench-")
	if err != nil {
		return nil, err
	}
	if cfg.AdminEmail == "" || cfg.AdminPassword == "" {
		secret := make([]byte, 12)
		_, _ = rand.Read(secret)
		cfg.AdminEmail, cfg.AdminPassword = "admin@bench.openhouse.test", "bench admin "+hex.EncodeToString(secret)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	s := &embeddedServer{dir: dir, logs: &bytes.Buffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(exe, "serve")
	if cpuProfile != "" {
		s.cmd = exec.Command(exe, "bench", serveProfiledFlag, cpuProfile)
	}
	s.cmd.Env = append(os.Environ(), "OPENHOUSE_DATA_DIR="+dir, "OPENHOUSE_HTTP_ADDR="+addr,
		"OPENHOUSE_DATABASE_URL=", "OPENHOUSE_NATS_URL=", "OPENHOUSE_REDIS_URL=", "OPENHOUSE_SERVICES=all",
		"OPENHOUSE_LOG_LEVEL=warn", "OPENHOUSE_ADMIN_EMAIL="+cfg.AdminEmail, "OPENHOUSE_ADMIN_PASSWORD="+cfg.AdminPassword,
		// All the load comes from one address and a few hundred users:
		// the per-client limits would measure themselves, not the system.
		"OPENHOUSE_RATE_LIMITS=register=off,login=off,checkout=off,search=off")
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { s.done <- s.cmd.Wait() }()
	cfg.BaseURL = "http://" + addr
	fmt.Fprintf(stderr, "started openhouse serve (pid %d) on %s, data in %s\n", s.cmd.Process.Pid, cfg.BaseURL, dir)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(cfg.BaseURL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			os.RemoveAll(dir)
			return nil, fmt.Errorf("serve exited early: %v\n%s", err, s.logs)
		case <-ctx.Done():
			s.stop(stderr)
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond): // polling /healthz
		}
		if time.Now().After(deadline) {
			s.stop(stderr)
			return nil, fmt.Errorf("serve did not answer /healthz within 30s\n%s", s.logs)
		}
	}
}

// stop sends SIGTERM, waits, and removes the data directory.
func (s *embeddedServer) stop(stderr io.Writer) {
	defer os.RemoveAll(s.dir)
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		fmt.Fprintf(stderr, "openhouse bench: serve did not stop within 30s of SIGTERM; killed\n%s", s.logs)
	}
}

// serveProfiledFlag makes `openhouse bench` run `serve` under a CPU
// profile: what --embedded --cpuprofile starts, since serve itself has no
// profiling endpoint.
const serveProfiledFlag = "--internal-serve-cpuprofile"

// serveProfiled runs `openhouse serve` and profiles its CPU from SIGUSR1,
// which the bench sends when the load begins (seeding, which hashes
// passwords with argon2 on purpose, would otherwise fill the profile),
// until it stops; the profile is written to path.
func serveProfiled(ctx context.Context, path string, getenv func(string) string, stdout, stderr io.Writer) int {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(stderr, "openhouse bench:", err)
		return 1
	}
	defer f.Close()
	start := make(chan os.Signal, 1)
	signal.Notify(start, syscall.SIGUSR1)
	defer signal.Stop(start)
	var (
		mu        sync.Mutex
		finished  bool
		profiling bool
	)
	served := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-start:
		case <-served:
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if finished {
			return
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "openhouse bench:", err)
			return
		}
		profiling = true
	}()
	code := run(ctx, []string{"serve"}, getenv, stdout, stderr)
	close(served)
	mu.Lock()
	finished = true
	if profiling {
		pprof.StopCPUProfile()
	}
	mu.Unlock()
	<-watched
	return code
}

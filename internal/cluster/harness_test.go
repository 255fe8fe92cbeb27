package cluster

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/openhouse/openhouse/internal/bench"
)

// envInt reads a positive integer setting of the cluster tests.
func envInt(t *testing.T, key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", key, v)
	}
	return n
}

// upCluster builds openhouse and starts a whole cluster with instances per
// service, on a private PostgreSQL server and a private Redis in the
// test's directory. It is stopped when the test ends (and killed with the
// test process if that dies first).
func upCluster(t *testing.T, instances int) (*Cluster, *Checker) {
	t.Helper()
	return upClusterWith(t, instances, nil)
}

// upClusterWith is upCluster with the planned topology changed by tweak
// (nil: none) before anything starts.
func upClusterWith(t *testing.T, instances int, tweak func(*Topology)) (*Cluster, *Checker) {
	t.Helper()
	natsBin := natsServerBin(t)
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "openhouse")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/openhouse/openhouse/cmd/openhouse").CombinedOutput(); err != nil {
		t.Fatalf("build openhouse: %v\n%s", err, out)
	}
	// A private PostgreSQL server, which the chaos run may kill.
	pgBin, err := exec.Command("pg_config", "--bindir").Output()
	if err != nil {
		t.Skip("PostgreSQL's binaries not installed (pg_config --bindir)")
	}
	o := Options{
		RunDir: filepath.Join(dir, "run"), Instances: instances, Host: "127.0.0.1", BasePort: freeBase(t),
		PostgresBinDir: strings.TrimSpace(string(pgBin)), RedisBin: redisBin, Namespace: "ct", OpenhouseBin: bin, NATSBin: natsBin,
		AdminEmail: "admin@example.com", AdminPassword: "admin-password-123", BcryptCost: bcrypt.MinCost,
		// The load comes from one address; the limits would stop it.
		RateLimits: "register=off,login=off,checkout=off,search=off",
	}
	top, err := Plan(o, RandomSecret(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	if tweak != nil {
		tweak(top)
	}
	c := New(top, false)
	t.Cleanup(func() {
		c.Down()
		if t.Failed() || os.Getenv("OPENHOUSE_CLUSTER_KEEP_LOGS") != "" {
			keep := filepath.Join(os.TempDir(), "openhouse-cluster-logs-"+strconv.Itoa(os.Getpid()))
			_ = exec.Command("cp", "-r", c.LogDir(), keep).Run()
			t.Logf("process logs copied to %s", keep)
		}
	})
	start := time.Now()
	if err := c.Up(context.Background()); err != nil {
		t.Fatalf("cluster up: %v", err)
	}
	t.Logf("cluster of %d processes up in %s", len(top.Procs), time.Since(start).Round(time.Millisecond))
	chk, err := NewChecker(top)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(chk.Close)
	return c, chk
}

// load is a bench run against the cluster's gateway in the background.
type load struct {
	seeded chan struct{}
	done   chan struct{}
	report *bench.Report
	err    error
}

// startLoad drives bookings at rate for d; seeded closes when the seeding
// is over and the load begins.
func startLoad(t *testing.T, c *Cluster, rate float64, d time.Duration) *load {
	l := &load{seeded: make(chan struct{}), done: make(chan struct{})}
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(pr)
		var once sync.Once
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "seeded") {
				once.Do(func() { close(l.seeded) })
			}
			t.Log("bench:", sc.Text())
		}
	}()
	go func() {
		defer close(l.done)
		defer pw.Close()
		l.report, l.err = bench.Run(context.Background(), bench.Config{
			BaseURL: c.T.GatewayURL(), AdminEmail: c.T.Options.AdminEmail, AdminPassword: c.T.Options.AdminPassword,
			Rate: rate, Duration: d, Customers: 300, Realtors: 60, Listings: 60,
			SearchRate: 5, UpdateRate: 1, ToggleRate: 0.5,
			Poll: 20 * time.Millisecond, PollBudget: 200, SagaTimeout: 90 * time.Second, Progress: pw,
		})
	}()
	return l
}

// wait returns the bench report once the load and its sagas are over.
func (l *load) wait(t *testing.T) *bench.Report {
	<-l.done
	if l.err != nil {
		t.Fatalf("bench: %v", l.err)
	}
	return l.report
}

// settle waits until every outbox is published, every consumer caught up
// and no tour pending, then returns the checker's verdict.
func settle(t *testing.T, chk *Checker, within time.Duration) Verdict {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	start := time.Now()
	for {
		ok, state, err := chk.Settled(ctx)
		if err == nil && ok {
			t.Logf("settled after %s", time.Since(start).Round(time.Millisecond))
			break
		}
		select {
		case <-ctx.Done():
			t.Errorf("not settled within %s: %s (%v)", within, state, err)
			ctx = context.Background()
		case <-time.After(time.Second):
			continue
		}
		break
	}
	v, err := chk.Check(context.Background())
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	return v
}

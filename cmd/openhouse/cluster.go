package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/cluster"
)

// clusterCommand runs `openhouse cluster up|down|status`: the distributed
// mode on this machine's loopback (see docs/distributed.md).
func clusterCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "openhouse cluster: give up, down or status")
		return 2
	}
	verb := args[0]
	fs := flag.NewFlagSet("cluster "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "./cluster", "run directory: config, NATS stores, logs/<process>.log, state.json")
	var o cluster.Options
	fs.IntVar(&o.Instances, "instances", 1, "instances of every service")
	fs.IntVar(&o.BasePort, "base-port", 27000, "gateway port; NATS nodes and services use the ports above it")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "PostgreSQL database of the cluster, created if missing (default: a private server initdb'd in the run directory, on base port + 50)")
	fs.StringVar(&o.RedisURL, "redis-url", "", "Redis for the availability index (default: a private redis-server on base port + 40)")
	fs.StringVar(&o.RateLimits, "rate-limits", "", "OPENHOUSE_RATE_LIMITS of every service (e.g. register=off,login=off,checkout=off,search=off for a load test from one address)")
	fs.StringVar(&o.Namespace, "namespace", "", "OPENHOUSE_NAMESPACE of every service")
	fs.StringVar(&o.AdminEmail, "admin-email", valueOr(getenv("OPENHOUSE_ADMIN_EMAIL"), "admin@openhouse.localhost"), "the first admin")
	fs.StringVar(&o.AdminPassword, "admin-password", getenv("OPENHOUSE_ADMIN_PASSWORD"), "the first admin's password (random when empty; see state.json)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintln(stderr, "openhouse cluster:", err)
		return 2
	}
	o.RunDir = abs
	switch verb {
	case "up":
		return clusterUp(ctx, o, stdout, stderr)
	case "down", "status":
		st, err := cluster.ReadState(o.RunDir)
		if err != nil {
			fmt.Fprintln(stderr, "openhouse cluster: no cluster in", o.RunDir+":", err)
			return 1
		}
		t, err := cluster.Plan(st.Options, cluster.RandomSecret(st.Secrets))
		if err != nil {
			fmt.Fprintln(stderr, "openhouse cluster:", err)
			return 1
		}
		if verb == "down" {
			cluster.StopPids(st, t, 25*time.Second)
			fmt.Fprintln(stdout, "stopped; logs in", filepath.Join(o.RunDir, "logs"))
			return 0
		}
		return clusterStatus(ctx, st, t, stdout)
	default:
		fmt.Fprintf(stderr, "openhouse cluster: unknown %q (up, down or status)\n", verb)
		return 2
	}
}

func clusterUp(ctx context.Context, o cluster.Options, stdout, stderr io.Writer) int {
	if _, err := os.Stat(cluster.StatePath(o.RunDir)); err == nil {
		fmt.Fprintf(stderr, "openhouse cluster: %s already holds a cluster; `openhouse cluster down --dir %s` first, or remove it\n", o.RunDir, o.RunDir)
		return 1
	}
	var err error
	if o.NATSBin, err = cluster.EnsureNATSServer(ctx); err != nil {
		fmt.Fprintln(stderr, "openhouse cluster:", err)
		return 1
	}
	if o.DatabaseURL == "" {
		out, err := exec.Command("pg_config", "--bindir").Output()
		if err != nil {
			fmt.Fprintln(stderr, "openhouse cluster: --database-url is empty and PostgreSQL's binaries were not found (pg_config --bindir):", err)
			return 1
		}
		o.PostgresBinDir = strings.TrimSpace(string(out))
	}
	if o.RedisURL == "" {
		if o.RedisBin, err = exec.LookPath("redis-server"); err != nil {
			fmt.Fprintln(stderr, "openhouse cluster: --redis-url is empty and redis-server is not installed:", err)
			return 1
		}
	}
	if o.OpenhouseBin, err = os.Executable(); err != nil {
		fmt.Fprintln(stderr, "openhouse cluster:", err)
		return 1
	}
	secrets := map[string]string{}
	secret := cluster.RandomSecret(secrets)
	if o.AdminPassword == "" {
		o.AdminPassword = secret("admin-password")
	}
	t, err := cluster.Plan(o, secret)
	if err != nil {
		fmt.Fprintln(stderr, "openhouse cluster:", err)
		return 2
	}
	if err := os.MkdirAll(o.RunDir, 0o700); err != nil {
		fmt.Fprintln(stderr, "openhouse cluster:", err)
		return 1
	}
	c := cluster.New(t, true)
	upErr := c.Up(ctx)
	if err := cluster.WriteState(cluster.State{Options: o, Secrets: secrets, Pids: c.Running()}); err != nil {
		fmt.Fprintln(stderr, "openhouse cluster: save state:", err)
	}
	if upErr != nil {
		fmt.Fprintln(stderr, "openhouse cluster: up:", upErr)
		fmt.Fprintf(stderr, "logs in %s; stop what started with `openhouse cluster down --dir %s`\n", c.LogDir(), o.RunDir)
		return 1
	}
	fmt.Fprintf(stdout, "openhouse cluster up: %d processes, gateway %s\nadmin %s (password in %s)\nlogs in %s\n",
		len(t.Procs), t.GatewayURL(), o.AdminEmail, cluster.StatePath(o.RunDir), c.LogDir())
	return 0
}

func clusterStatus(ctx context.Context, st cluster.State, t *cluster.Topology, stdout io.Writer) int {
	names := make([]string, 0, len(t.Procs))
	for _, p := range t.Procs {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	client := &http.Client{Timeout: time.Second}
	down := 0
	for _, name := range names {
		p, _ := t.Proc(name)
		pid := st.Pids[name]
		state := "not running"
		if pid > 0 && cluster.Alive(pid, p.Bin) {
			state = "running, not healthy"
			if p.TCP { // Redis, PostgreSQL: accepting connections is healthy
				if conn, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
					conn.Close()
					state = "healthy"
				}
			} else {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.Addr+"/healthz", nil)
				if resp, err := client.Do(req); err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						state = "healthy"
					}
				}
			}
		}
		if state != "healthy" {
			down++
		}
		fmt.Fprintf(stdout, "%-16s pid %-8d %-22s %s\n", name, pid, p.Addr, state)
	}
	if down > 0 {
		return 1
	}
	return 0
}

func valueOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

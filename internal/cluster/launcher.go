package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/openhouse/openhouse/internal/app"
)

// Cluster starts, kills and restarts the processes of a topology. Its
// methods are safe for concurrent use.
type Cluster struct {
	T      *Topology
	detach bool

	mu    sync.Mutex
	procs map[string]*running
}

// New returns a cluster of t with nothing started. detach makes processes
// outlive this one (`openhouse cluster up`).
func New(t *Topology, detach bool) *Cluster {
	return &Cluster{T: t, detach: detach, procs: map[string]*running{}}
}

// LogDir holds one log file per process.
func (c *Cluster) LogDir() string { return filepath.Join(c.T.Options.RunDir, "logs") }

// Up starts the NATS nodes, then iam, then every other service, then the
// gateway, each waited for until healthy; on error what started is left
// running for Down (and its logs).
func (c *Cluster) Up(ctx context.Context) error {
	if err := c.writeConfigs(); err != nil {
		return err
	}
	// NATS and Redis; then the first instance of iam (which creates the
	// admin), of every other service, and the gateway; then the further
	// instances in waves, so that a loaded machine is not asked to create
	// every stream and consumer at once.
	var infra, gateway []string
	iam := make([][]string, c.T.Options.Instances)
	others := make([][]string, c.T.Options.Instances)
	for _, p := range c.T.Procs {
		switch p.Service {
		case "":
			infra = append(infra, p.Name)
		case app.GatewayName:
			gateway = append(gateway, p.Name)
		case "iam":
			iam[p.Instance-1] = append(iam[p.Instance-1], p.Name)
		default:
			others[p.Instance-1] = append(others[p.Instance-1], p.Name)
		}
	}
	if _, private := c.T.Proc("postgres"); private {
		if err := c.initPostgres(ctx); err != nil {
			return err
		}
	}
	if err := c.startAll(ctx, infra); err != nil {
		return err
	}
	if err := c.ensureDatabase(ctx); err != nil {
		return err
	}
	if err := c.waitJetStream(ctx); err != nil {
		return err
	}
	for j := range c.T.Options.Instances {
		for _, group := range [][]string{iam[j], others[j]} {
			if err := c.startAll(ctx, group); err != nil {
				return err
			}
		}
		if j == 0 {
			if err := c.startAll(ctx, gateway); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeConfigs writes the NATS nodes' configuration files (mode 0600: they
// hold password hashes).
func (c *Cluster) writeConfigs() error {
	for _, p := range c.T.Procs {
		if p.ConfigPath == "" {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p.ConfigPath), 0o700); err != nil {
			return err
		}
		if p.Config == "" {
			continue
		}
		if err := os.WriteFile(p.ConfigPath, []byte(p.Config), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) startAll(ctx context.Context, names []string) error {
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Start(ctx, name)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Start starts the named process (again) and waits until it is healthy. A
// process that exits while starting (its database refusing connections, its
// NATS stream not yet placed) is started again with backoff, as a
// supervisor would, for up to two minutes.
func (c *Cluster) Start(ctx context.Context, name string) error {
	p, ok := c.T.Proc(name)
	if !ok {
		return fmt.Errorf("cluster: no process %q", name)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	backoff := 250 * time.Millisecond
	for {
		r, err := start(p, c.LogDir(), c.detach)
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.procs[name] = r
		c.mu.Unlock()
		if p.TCP {
			err = waitListening(ctx, name, p.Addr, r.done)
		} else {
			err = waitHealthy(ctx, name, p.Addr, r.done)
		}
		if err == nil {
			return nil
		}
		c.Kill(name)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// Kill sends SIGKILL to the named process and waits for it to die.
func (c *Cluster) Kill(name string) {
	c.mu.Lock()
	r := c.procs[name]
	delete(c.procs, name)
	c.mu.Unlock()
	if r != nil {
		signalAndWait(r.cmd.Process.Pid, syscall.SIGKILL, r.done, 10*time.Second)
	}
}

// Stop sends SIGTERM and waits for a graceful exit (SIGKILL after 25 s).
func (c *Cluster) Stop(name string) {
	c.mu.Lock()
	r := c.procs[name]
	delete(c.procs, name)
	c.mu.Unlock()
	if r != nil {
		signalAndWait(r.cmd.Process.Pid, syscall.SIGTERM, r.done, 25*time.Second)
	}
}

// Down stops the gateway and services gracefully, then the NATS nodes.
func (c *Cluster) Down() {
	var services, nats []string
	for _, p := range c.T.Procs {
		if p.Service == "" {
			nats = append(nats, p.Name)
		} else {
			services = append(services, p.Name)
		}
	}
	for _, group := range [][]string{services, nats} {
		var wg sync.WaitGroup
		for _, name := range group {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.Stop(name)
			}()
		}
		wg.Wait()
	}
}

// Running reports the pid of every process started and not yet stopped.
func (c *Cluster) Running() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for name, r := range c.procs {
		select {
		case <-r.done:
		default:
			out[name] = r.cmd.Process.Pid
		}
	}
	return out
}

// State is what `openhouse cluster up` leaves in the run directory for
// `status` and `down`: the options, the secrets and the pids.
type State struct {
	Options Options           `json:"options"`
	Secrets map[string]string `json:"secrets"`
	Pids    map[string]int    `json:"pids"`
}

// StatePath is where the state of the cluster in runDir is kept.
func StatePath(runDir string) string { return filepath.Join(runDir, "state.json") }

// WriteState saves s (it holds secrets: mode 0600).
func WriteState(s State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(StatePath(s.Options.RunDir), b, 0o600)
}

// ReadState loads the state of the cluster in runDir.
func ReadState(runDir string) (State, error) {
	var s State
	b, err := os.ReadFile(StatePath(runDir))
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(b, &s)
}

// Alive reports whether pid is a live process running bin (a pid reused by
// an unrelated process is not ours to signal).
func Alive(pid int, bin string) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	// Redis rewrites its command line to "<bin> <addr>": the executable
	// followed by a NUL or a space.
	rest, ok := strings.CutPrefix(string(cmdline), bin)
	return ok && (strings.HasPrefix(rest, "\x00") || strings.HasPrefix(rest, " "))
}

// StopPids stops the processes of a saved state: services and the gateway
// first, then the NATS nodes; each gets SIGTERM and, after grace, SIGKILL.
func StopPids(s State, t *Topology, grace time.Duration) {
	for _, natsPhase := range []bool{false, true} {
		var wg sync.WaitGroup
		for name, pid := range s.Pids {
			p, ok := t.Proc(name)
			if !ok || (p.Service == "") != natsPhase || !Alive(pid, p.Bin) {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				signalAndWait(pid, syscall.SIGTERM, nil, grace)
			}()
		}
		wg.Wait()
	}
}

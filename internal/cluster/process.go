package cluster

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// running is a started process and the channel closed when it exits.
type running struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// start runs p with its output appended to logDir/<name>.log. detach puts
// it in a session of its own, so it outlives `openhouse cluster up`;
// otherwise it gets its own process group, so a terminal's Ctrl-C reaches
// the test, not the cluster.
func start(p Proc, logDir string, detach bool) (*running, error) {
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	log, err := os.OpenFile(filepath.Join(logDir, p.Name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer log.Close() // the child has its own copy
	fmt.Fprintf(log, "\n=== %s start %s\n", time.Now().UTC().Format(time.RFC3339Nano), p.Name)
	cmd := exec.Command(p.Bin, p.Args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, p.Env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: !detach, Setsid: detach}
	if !detach {
		// A test that is killed must not leave its cluster running.
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if p.RunAsPostgres {
		cred, err := postgresCredential()
		if err != nil {
			return nil, err
		}
		cmd.SysProcAttr.Credential = cred
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", p.Name, err)
	}
	r := &running{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(r.done)
	}()
	return r, nil
}

// waitHealthy polls http://addr/healthz until it answers 200, the process
// exits, or ctx ends.
func waitHealthy(ctx context.Context, name, addr string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not healthy on %s: %w", name, addr, ctx.Err())
		case <-exited:
			return fmt.Errorf("%s exited before it was healthy (see its log)", name)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitListening waits until something accepts TCP connections on addr.
func waitListening(ctx context.Context, name, addr string, exited <-chan struct{}) error {
	for {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not listening on %s: %w", name, addr, ctx.Err())
		case <-exited:
			return fmt.Errorf("%s exited before it listened (see its log)", name)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// signalAndWait sends sig to pid and waits up to grace for exited to close
// (or, without a channel, for the pid to disappear), then kills it.
func signalAndWait(pid int, sig syscall.Signal, exited <-chan struct{}, grace time.Duration) {
	_ = syscall.Kill(pid, sig)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if exited != nil {
			select {
			case <-exited:
				return
			case <-time.After(50 * time.Millisecond):
			}
		} else {
			if syscall.Kill(pid, 0) != nil {
				return
			}
			time.Sleep(50 * time.Millisecond) // no handle on a process another command started
		}
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	if exited != nil {
		<-exited
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary is the openhouse command built once for the process tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "openhouse-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "openhouse")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build openhouse:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type process struct {
	cmd  *exec.Cmd
	logs *bytes.Buffer
	done chan error
}

// startServe starts `openhouse serve` on embedded defaults in dataDir and
// returns once /healthz answers, with the time that took.
func startServe(t testing.TB, dataDir, addr string) (*process, time.Duration) {
	t.Helper()
	p := &process{logs: &bytes.Buffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(binary, "serve")
	p.cmd.Env = append(os.Environ(), "OPENHOUSE_DATA_DIR="+dataDir, "OPENHOUSE_HTTP_ADDR="+addr,
		"OPENHOUSE_DATABASE_URL=", "OPENHOUSE_NATS_URL=", "OPENHOUSE_REDIS_URL=")
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	start := time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, time.Since(start)
			}
		}
		select {
		case err := <-p.done:
			t.Fatalf("serve exited early: %v\n%s", err, p.logs)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer /healthz within 30s\n%s", p.logs)
		}
	}
}

// stop sends SIGTERM and returns the exit code.
func (p *process) stop(t testing.TB) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop within 30s of SIGTERM\n%s", p.logs)
	}
	return p.cmd.ProcessState.ExitCode()
}

func register(t *testing.T, addr, email string) (int, map[string]any) {
	t.Helper()
	body := fmt.Sprintf(`{"email":%q,"password":"a long enough passphrase","name":"Ada","role":"customer"}`, email)
	resp, err := http.Post("http://"+addr+"/iam/register", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// TestServeKeepsDataAcrossRestart is the first-run experience: `openhouse
// serve` with no configuration starts, answers /healthz, stops cleanly on
// SIGTERM, and what was written is still there after a restart. How fast it
// starts is BenchmarkServeStart's figure (docs/performance.md), not a
// deadline here: a loaded machine would make it fail for nothing.
func TestServeKeepsDataAcrossRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)

	p, took := startServe(t, dataDir, addr)
	t.Logf("first start answered /healthz after %v", took)
	status, user := register(t, addr, "ada@example.com")
	if status != http.StatusCreated {
		t.Fatalf("register = %d %v", status, user)
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0\n%s", code, p.logs)
	}

	p, took = startServe(t, dataDir, addr)
	t.Logf("restart answered /healthz after %v", took)
	status, problem := register(t, addr, "ADA@example.com")
	if status != http.StatusConflict {
		t.Fatalf("registering the same email after a restart = %d %v, want 409 (the account survived)", status, problem)
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code = %d\n%s", code, p.logs)
	}
}

// BenchmarkServeStart measures `openhouse serve` on embedded defaults from
// exec to the first healthy /healthz, on a fresh data directory and on a
// restart over the same one (the goal is under 3 s for both).
func BenchmarkServeStart(b *testing.B) {
	var first, again time.Duration
	for i := 0; i < b.N; i++ {
		dataDir := filepath.Join(b.TempDir(), "data")
		addr := freeAddr(b)
		p, took := startServe(b, dataDir, addr)
		first += took
		if code := p.stop(b); code != 0 {
			b.Fatalf("exit code after SIGTERM = %d\n%s", code, p.logs)
		}
		p, took = startServe(b, dataDir, addr)
		again += took
		if code := p.stop(b); code != 0 {
			b.Fatalf("exit code after SIGTERM = %d\n%s", code, p.logs)
		}
	}
	b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "first-start-ms")
	b.ReportMetric(float64(again.Milliseconds())/float64(b.N), "restart-ms")
}

func TestUnknownCommandAndBadConfig(t *testing.T) {
	var out, errOut bytes.Buffer
	empty := func(string) string { return "" }
	if code := run(context.Background(), []string{"bogus"}, empty, &out, &errOut); code != 2 {
		t.Fatalf("unknown command exit = %d", code)
	}
	bad := func(k string) string {
		if k == "OPENHOUSE_DATABASE_URL" {
			return "mysql://nope"
		}
		return ""
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"serve"}, bad, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "OPENHOUSE_DATABASE_URL") {
		t.Fatalf("bad config exit = %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"serve", "--services", "iam,nope"}, empty, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "nope") {
		t.Fatalf("bad --services exit = %d, stderr %q", code, errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"help"}, empty, &out, &errOut); code != 0 || !strings.Contains(out.String(), "OPENHOUSE_HTTP_ADDR") {
		t.Fatalf("help exit = %d, out %q", code, out.String())
	}
}

// TestAdminCreate makes the first admin from the command line, then signs
// in as that admin through a server started on the same data.
func TestAdminCreate(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	create := func(email, password, stdin string) (string, int) {
		cmd := exec.Command(binary, "admin", "create", "--email", email, "--password", password)
		cmd.Env = append(os.Environ(), "OPENHOUSE_DATA_DIR="+dataDir, "OPENHOUSE_DATABASE_URL=")
		cmd.Stdin = strings.NewReader(stdin)
		out, _ := cmd.CombinedOutput()
		return string(out), cmd.ProcessState.ExitCode()
	}
	if out, code := create("boss@example.com", "-", "the boss passphrase\n"); code != 0 || !strings.Contains(out, "created admin") {
		t.Fatalf("admin create = %d %q", code, out)
	}
	if out, code := create("boss@example.com", "another passphrase", ""); code != 0 || !strings.Contains(out, "already exists") {
		t.Fatalf("second admin create = %d %q", code, out)
	}
	if out, code := create("other@example.com", "password", ""); code != 1 || !strings.Contains(out, "common") {
		t.Fatalf("admin create with a common password = %d %q", code, out)
	}
	addr := freeAddr(t)
	p, _ := startServe(t, dataDir, addr)
	resp, err := http.Post("http://"+addr+"/iam/login", "application/json", strings.NewReader(`{"email":"boss@example.com","password":"the boss passphrase"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("admin login = %d", resp.StatusCode)
	}
	p.stop(t)
}

// TestDemo runs `openhouse demo` as a user would: it must seed, book, and
// print a trail that reaches a scheduled realtor and the notifications.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "demo")
	cmd.Env = append(os.Environ(), "OPENHOUSE_DATABASE_URL=", "OPENHOUSE_NATS_URL=", "OPENHOUSE_REDIS_URL=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{"checkout -> 201", "scheduled", "appointment.appointment.scheduled.v1", "tour.tour.scheduled.v1", "notification.notification.sent.v1"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

// TestBackupAndRestoreCommands: `openhouse backup` copies a serving
// system, `openhouse restore` unpacks the copy into a new directory, and
// `serve` there has what was written before the backup. The commands
// refuse to overwrite an archive or a data directory, and say so when no
// server answers.
func TestBackupAndRestoreCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	command := func(args ...string) (string, int) {
		cmd := exec.Command(binary, args...)
		cmd.Env = append(os.Environ(), "OPENHOUSE_DATA_DIR="+dataDir, "OPENHOUSE_DATABASE_URL=", "OPENHOUSE_NATS_URL=")
		out, _ := cmd.CombinedOutput()
		return string(out), cmd.ProcessState.ExitCode()
	}
	archive := filepath.Join(t.TempDir(), "openhouse.backup")
	if out, code := command("backup", "--out", archive); code != 1 || !strings.Contains(out, "is `openhouse serve` running") {
		t.Fatalf("backup with nothing serving = %d %q", code, out)
	}

	addr := freeAddr(t)
	p, _ := startServe(t, dataDir, addr)
	if status, out := register(t, addr, "ada@example.com"); status != http.StatusCreated {
		t.Fatalf("register = %d %v", status, out)
	}
	if out, code := command("backup", "--out", archive); code != 0 || !strings.Contains(out, "8 databases") {
		t.Fatalf("backup = %d %q", code, out)
	}
	if out, code := command("backup", "--out", archive); code != 2 || !strings.Contains(out, "exists") {
		t.Fatalf("backup onto an existing file = %d %q", code, out)
	}
	if status, out := register(t, addr, "grace@example.com"); status != http.StatusCreated {
		t.Fatalf("register after the backup = %d %v", status, out)
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code = %d\n%s", code, p.logs)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	if out, code := command("restore", "--from", archive, "--data-dir", restored); code != 0 || !strings.Contains(out, "restored 8 databases") {
		t.Fatalf("restore = %d %q", code, out)
	}
	if out, code := command("restore", "--from", archive, "--data-dir", restored); code != 2 || !strings.Contains(out, "not empty") {
		t.Fatalf("restore over data = %d %q", code, out)
	}
	p, _ = startServe(t, restored, addr)
	if status, out := register(t, addr, "ada@example.com"); status != http.StatusConflict {
		t.Fatalf("registering the account made before the backup = %d %v, want 409", status, out)
	}
	if status, out := register(t, addr, "grace@example.com"); status != http.StatusCreated {
		t.Fatalf("registering the account made after the backup = %d %v, want 201 (it is not in the backup)", status, out)
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code = %d\n%s", code, p.logs)
	}
}

package cluster

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestAliveKnowsItsOwnProcesses(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	cmd := exec.Command(sleep, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	// The child's command line may lag Start for a moment on a loaded
	// machine (seen in CI): wait for it with a deadline.
	deadline := time.Now().Add(5 * time.Second)
	for !Alive(cmd.Process.Pid, sleep) {
		if time.Now().After(deadline) {
			t.Fatal("a running sleep is not alive")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if Alive(cmd.Process.Pid, "/bin/other") {
		t.Error("another executable's process is taken for ours")
	}
	if Alive(os.Getpid(), sleep) {
		t.Error("the test process is taken for sleep")
	}

	// Redis rewrites its command line as "<bin> <addr>".
	retitled := exec.Command("bash", "-c", `exec -a "$0 127.0.0.1:6379" "$0" 30`, sleep)
	if err := retitled.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = retitled.Process.Kill(); _ = retitled.Wait() }()
	deadline = time.Now().Add(5 * time.Second) // until bash has exec'd sleep
	for !Alive(retitled.Process.Pid, sleep) {
		if time.Now().After(deadline) {
			t.Fatal("a process that retitled itself is not alive")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

package bench

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	// A command name with spaces and a parenthesis, as /proc allows.
	line := "4242 (open house) x) S 1 4242 4242 0 -1 4194560 2183 0 0 0 1234 567 89 11 20 0 12 0 5180 2003591168 12000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	got, err := parseProcStat(line)
	if err != nil {
		t.Fatal(err)
	}
	want := procStat{ppid: 1, own: (1234 + 567) * time.Second / 100, children: (89 + 11) * time.Second / 100}
	if got != want {
		t.Fatalf("got %+v, want %+v (parent, utime + stime, cutime + cstime)", got, want)
	}
	for _, bad := range []string{"", "4242 no parenthesis", "4242 (x) S 1 2"} {
		if _, err := parseProcStat(bad); err == nil {
			t.Errorf("parseProcStat(%q) succeeded", bad)
		}
	}
}

// The bench reads its own process like the server's: the time only grows.
func TestProcessCPUOfThisProcess(t *testing.T) {
	before, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Skip("no /proc here:", err)
	}
	x := 0
	for i := range 50_000_000 { // burn a little CPU (not a pause)
		x ^= i
	}
	after, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after < before {
		t.Fatalf("CPU time went back: %v then %v (x=%d)", before, after, x)
	}
}

// A tree counts its descendants: a child that burns CPU adds to the tree
// of its parent, also after it has ended and been waited for.
func TestTreeCPUCountsDescendants(t *testing.T) {
	self := map[string]int{"test": os.Getpid()}
	before, n, err := TreeCPU(self)
	if err != nil {
		t.Skip("no /proc here:", err)
	}
	if n < 1 {
		t.Fatalf("counted %d processes", n)
	}
	// A child of this test that spins for 300 ms of CPU, then ends.
	cmd := exec.Command("sh", "-c", `i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done`)
	if err := cmd.Run(); err != nil {
		t.Skip("no sh to run:", err)
	}
	after, _, err := TreeCPU(self)
	if err != nil {
		t.Fatal(err)
	}
	own, _ := ProcessCPU(os.Getpid())
	if child := after["test"] - before["test"]; child < cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime()-20*time.Millisecond {
		t.Errorf("the tree grew by %v; the ended child alone used %v (this process %v)", child,
			cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime(), own)
	}
	if _, _, err := TreeCPU(map[string]int{"test": os.Getpid(), "gone": 1 << 30}); err == nil {
		t.Error("a process that does not exist was counted")
	}
}

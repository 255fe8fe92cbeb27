package bench

import (
	"os"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	// A command name with spaces and a parenthesis, as /proc allows.
	line := "4242 (open house) x) S 1 4242 4242 0 -1 4194560 2183 0 0 0 1234 567 0 0 20 0 12 0 5180 2003591168 12000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	got, err := parseProcStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if want := (1234 + 567) * time.Second / 100; got != want {
		t.Fatalf("got %v, want %v (utime + stime)", got, want)
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

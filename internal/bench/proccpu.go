package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ServerCPU is the CPU time the server's processes used while the load ran
// and its sagas settled, when the bench knows them (--embedded: the serve
// process; --cluster: every process of the cluster, NATS nodes, PostgreSQL
// and Redis included). Wall clock figures depend on what else the machine
// runs; CPU per booking much less so, which makes it the figure to compare
// between runs on a shared machine.
type ServerCPU struct {
	// Processes is how many processes were counted at the end of the
	// load: the ones the bench was given and all their descendants (a
	// PostgreSQL server's backends, say).
	Processes int `json:"processes,omitempty"`
	// CPUSeconds is user + system time of those processes, and of their
	// children that ended meanwhile.
	CPUSeconds float64 `json:"cpu_seconds"`
	// ByProcess is CPUSeconds by the process the bench was given (each
	// with its descendants), by name: "serve", "nats-1", "tour-1".
	ByProcess map[string]float64 `json:"by_process,omitempty"`
	// Cores is CPUSeconds over the wall time it was measured in.
	Cores float64 `json:"cores"`
	// MSPerBooking is CPUSeconds per checkout answered 201, in
	// milliseconds; it includes everything else the load did meanwhile
	// (searches, tour reads, updates) in the proportions of the run.
	MSPerBooking float64 `json:"ms_per_booking"`
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// ProcessCPU reads the user + system CPU time a process has used so far from
// /proc/<pid>/stat (Linux).
func ProcessCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	st, err := parseProcStat(string(raw))
	return st.own, err
}

// TreeCPU is the CPU time used so far by each of the processes roots
// (by name) with all their descendants (read from every /proc/<pid>/stat),
// including the time of their children that have ended and been waited
// for, so that the difference of two readings counts a process that ends
// in between; and how many processes it counted. A root that is gone is an
// error.
func TreeCPU(roots map[string]int) (map[string]time.Duration, int, error) {
	stats := map[int]procStat{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // ended since the listing
		}
		if st, err := parseProcStat(string(raw)); err == nil {
			stats[pid] = st
		}
	}
	children := map[int][]int{}
	for pid, st := range stats {
		children[st.ppid] = append(children[st.ppid], pid)
	}
	out := make(map[string]time.Duration, len(roots))
	counted := map[int]bool{}
	for name, root := range roots {
		if _, ok := stats[root]; !ok {
			return nil, 0, fmt.Errorf("process %s (%d) is not running", name, root)
		}
		queue := []int{root}
		for len(queue) > 0 {
			pid := queue[0]
			queue = queue[1:]
			if counted[pid] {
				continue
			}
			counted[pid] = true
			out[name] += stats[pid].own + stats[pid].children
			queue = append(queue, children[pid]...)
		}
	}
	return out, len(counted), nil
}

// procStat is what the bench reads of /proc/<pid>/stat.
type procStat struct {
	ppid int
	// own is utime + stime; children is cutime + cstime, the time of
	// ended children the process has waited for.
	own, children time.Duration
}

// parseProcStat takes the parent (field 4), utime and stime (fields 14
// and 15) and cutime and cstime (16 and 17) from a /proc/<pid>/stat line.
// The command name (field 2) is in parentheses and may hold spaces, so
// fields are counted after its closing parenthesis.
func parseProcStat(line string) (procStat, error) {
	end := strings.LastIndexByte(line, ')')
	if end < 0 {
		return procStat{}, fmt.Errorf("proc stat: no command name in %q", line)
	}
	f := strings.Fields(line[end+1:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("proc stat: %d fields after the command name", len(f))
	}
	var v [5]int64
	for i, s := range []string{f[1], f[11], f[12], f[13], f[14]} { // fields 4, 14-17
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("proc stat: %w", err)
		}
		v[i] = n
	}
	tick := func(n int64) time.Duration { return time.Duration(n) * time.Second / clockTicks }
	return procStat{ppid: int(v[0]), own: tick(v[1] + v[2]), children: tick(v[3] + v[4])}, nil
}

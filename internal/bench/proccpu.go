package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ServerCPU is the CPU time the server process used while the load ran and
// its sagas settled, when the bench knows the process (--embedded). Wall
// clock figures depend on what else the machine runs; CPU per booking much
// less so, which makes it the figure to compare between runs on a shared
// machine.
type ServerCPU struct {
	// CPUSeconds is user + system time of the server process.
	CPUSeconds float64 `json:"cpu_seconds"`
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
	return parseProcStat(string(raw))
}

// parseProcStat takes utime and stime (fields 14 and 15) from a
// /proc/<pid>/stat line. The command name (field 2) is in parentheses and
// may hold spaces, so fields are counted after its closing parenthesis.
func parseProcStat(line string) (time.Duration, error) {
	end := strings.LastIndexByte(line, ')')
	if end < 0 {
		return 0, fmt.Errorf("proc stat: no command name in %q", line)
	}
	f := strings.Fields(line[end+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("proc stat: %d fields after the command name", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] { // fields 14 (utime) and 15 (stime)
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc stat: %w", err)
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times: 100 on every Linux
// architecture Go supports (the kernel fixes it for the user ABI whatever HZ is).
const clockTicks = 100

// procSample is what /proc tells about one process at one moment.
type procSample struct {
	CPU     time.Duration // user + system time since the process started
	RSS     int64         // resident set now, bytes (VmRSS)
	PeakRSS int64         // the largest resident set so far, bytes (VmHWM)
}

// readProc samples process pid from /proc.
func readProc(pid int) (procSample, error) {
	var s procSample
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	if s.CPU, err = parseProcStatCPU(stat); err != nil {
		return s, err
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	if s.RSS, err = parseStatusBytes(status, "VmRSS"); err != nil {
		return s, err
	}
	s.PeakRSS, err = parseStatusBytes(status, "VmHWM")
	return s, err
}

// parseProcStatCPU reads utime + stime (fields 14 and 15) of a /proc/PID/stat line.
// The command name (field 2) is in parentheses and may hold spaces and ')' itself,
// so the fields are counted from the LAST ')'.
func parseProcStatCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("bench: /proc stat without a command name: %.80q", stat)
	}
	f := bytes.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("bench: /proc stat has %d fields after the name, want at least 13", len(f))
	}
	var ticks uint64
	for _, s := range f[11:13] { // fields 14 (utime) and 15 (stime)
		n, err := strconv.ParseUint(string(s), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: /proc stat CPU time %q: %w", s, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// parseStatusBytes reads a "Name:   N kB" line of /proc/PID/status, in bytes.
func parseStatusBytes(status []byte, name string) (int64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte(name+":"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("bench: /proc status %s: %q, want N kB", name, bytes.TrimSpace(rest))
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: /proc status %s: %w", name, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("bench: /proc status has no %s line", name)
}

// mib formats bytes in MiB.
func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// parseProcStatFamily reads from a /proc/PID/stat line the parent's pid (field 4),
// the process's own CPU time (fields 14, 15) and that of its children it has waited
// for (fields 16, 17: cutime, cstime).
func parseProcStatFamily(stat []byte) (ppid int, own, children time.Duration, err error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, 0, fmt.Errorf("bench: /proc stat without a command name: %.80q", stat)
	}
	f := bytes.Fields(stat[i+1:])
	if len(f) < 15 {
		return 0, 0, 0, fmt.Errorf("bench: /proc stat has %d fields after the name, want at least 15", len(f))
	}
	var n [5]int64
	for k, idx := range []int{1, 11, 12, 13, 14} { // fields 4, 14, 15, 16, 17
		if n[k], err = strconv.ParseInt(string(f[idx]), 10, 64); err != nil {
			return 0, 0, 0, fmt.Errorf("bench: /proc stat field %q: %w", f[idx], err)
		}
	}
	tick := func(t int64) time.Duration { return time.Duration(t) * time.Second / clockTicks }
	return int(n[0]), tick(n[1] + n[2]), tick(n[3] + n[4]), nil
}

// treeCPU is the CPU time of process root and every child of it, live or ended: a
// PostgreSQL postmaster's own time, the backends it has reaped (its cutime and
// cstime) and the backends still running. stats maps each process to its stat line.
func treeCPU(root int, stats map[int][]byte) (time.Duration, error) {
	_, own, reaped, err := parseProcStatFamily(stats[root])
	if err != nil {
		return 0, err
	}
	total := own + reaped
	for pid, st := range stats {
		if pid == root {
			continue
		}
		ppid, own, _, err := parseProcStatFamily(st)
		if err != nil {
			continue // a process that ended while it was read
		}
		if ppid == root {
			total += own
		}
	}
	return total, nil
}

// readTreeCPU is treeCPU of root from the live /proc.
func readTreeCPU(root int) (time.Duration, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	stats := map[int][]byte{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			stats[pid] = b
		}
	}
	if stats[root] == nil {
		return 0, fmt.Errorf("bench: no process %d", root)
	}
	return treeCPU(root, stats)
}

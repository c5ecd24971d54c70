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

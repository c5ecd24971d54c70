package platform

import (
	"log/slog"
	"runtime/debug"
)

// servedGCPercent is the served process's GOGC unless the operator sets one. At Go's
// 100 the collector and the allocator were a quarter to a third of the served CPU
// profile; collecting at three times the live heap instead of twice cut the served
// CPU per 1,000 readings by about an eighth in paired runs, at a higher but bounded
// peak RSS (docs/performance.md, "The served process's garbage collector"). No memory
// limit is set by default: a province's engines may hold more live state than any
// figure chosen here, and under a limit below its live heap the collector would take
// half the CPU. GOMEMLIMIT bounds a node's memory where that is needed.
const servedGCPercent = 200

// TuneGC sets GOGC to servedGCPercent unless the environment (lookup, as
// os.LookupEnv) sets it — the runtime has read an operator's value at start, which
// stands — and reports whether it did.
func TuneGC(lookup func(string) (string, bool)) bool {
	if _, set := lookup("GOGC"); set {
		return false
	}
	debug.SetGCPercent(servedGCPercent)
	slog.Info("garbage collector tuned for serving (set GOGC to override)", "gogc", servedGCPercent)
	return true
}

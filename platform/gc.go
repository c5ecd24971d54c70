package platform

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The served process's garbage collector, where the operator sets neither GOGC nor
// GOMEMLIMIT. At Go's GOGC=100 the collector and the allocator were a quarter to a
// third of the served CPU profile; collecting at three times the live heap (GOGC=200)
// cut the served CPU per 1,000 readings by about an eighth in paired runs, but a
// hidden-dangers burst then peaked at 546 MiB of RSS (docs/performance.md, "The
// served process's garbage collector"). So a soft memory limit goes with it: 352 MiB,
// or twice the live heap when that is more. Under it the collector runs as often as
// the limit needs — at most as often as GOGC=100 would — and it never chases a limit
// below a province's live state, where it would take half the CPU.
const (
	servedGCPercent = 200
	// servedMemoryFloor is the least soft memory limit: issue 14's 400 MiB of peak RSS,
	// less room for what the runtime does not count.
	servedMemoryFloor = 352 << 20
	// memoryLimitEvery is how often the limit follows the live heap. Every 10 s, as
	// until 2026-12-08, was too slow for a burst: an unpaced upload of 200,000 隐患 grows
	// the live heap within two seconds, and until the limit caught up the collector ran
	// against the floor, below twice the live heap, far more often than Go's default —
	// the served CPU per 1,000 隐患 was 0.069–0.073 s, against 0.055–0.056 s following
	// every second (docs/performance.md, "The memory limit follows within a second").
	// Reading one runtime metric a second costs nothing measurable.
	memoryLimitEvery = time.Second
)

// TuneGC applies the served defaults for what the environment (lookup, as
// os.LookupEnv) leaves unset — an operator's GOGC or GOMEMLIMIT, read by the runtime
// at start, stands — and keeps the memory limit at memoryLimitFor the live heap until
// ctx ends. It reports what it took over.
func TuneGC(ctx context.Context, lookup func(string) (string, bool)) (gcPercent, memoryLimit bool) {
	if _, set := lookup("GOGC"); !set {
		debug.SetGCPercent(servedGCPercent)
		gcPercent = true
	}
	if _, set := lookup("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(memoryLimitFor(liveHeap()))
		memoryLimit = true
		go func() {
			tick := time.NewTicker(memoryLimitEvery)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					debug.SetMemoryLimit(memoryLimitFor(liveHeap()))
				}
			}
		}()
	}
	if gcPercent || memoryLimit {
		slog.Info("garbage collector tuned for serving (set GOGC / GOMEMLIMIT to override)",
			"gogc", gcPercent, "gomemlimit", memoryLimit)
	}
	return gcPercent, memoryLimit
}

// memoryLimitFor is the soft memory limit for a live heap of live bytes: the floor, or
// twice the live heap — where GOGC=100 would collect — when that is more.
func memoryLimitFor(live uint64) int64 {
	return max(servedMemoryFloor, 2*int64(live))
}

// liveHeap is the heap the last collection found live, in bytes (0 before the first).
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

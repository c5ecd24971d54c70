// Package ingest owns the exchange path: the HTTP endpoints companies post their
// tables to, their authentication, publishing to Kafka before the reply, and the sink
// consumer that writes what Kafka holds into PostgreSQL.
package ingest

import (
	"sync/atomic"
	"time"
)

// maxRawEvidence bounds the copy of a refused record that is kept: enough to see
// every field, not a 5 MB image that was refused for its size.
const maxRawEvidence = 64 << 10

func evidence(raw []byte) string {
	if len(raw) <= maxRawEvidence {
		return string(raw)
	}
	return string(raw[:maxRawEvidence]) + "…(truncated)"
}

// versions hands out strictly increasing version numbers: receipt time in
// nanoseconds, bumped when two records arrive within the same nanosecond.
type versions struct{ last atomic.Int64 }

func (v *versions) next(now time.Time) int64 {
	n := now.UnixNano()
	for {
		last := v.last.Load()
		if n <= last {
			n = last + 1
		}
		if v.last.CompareAndSwap(last, n) {
			return n
		}
	}
}

package bench

import (
	"fmt"
	"slices"
	"time"
)

// A curve is a cumulative count of records over time: how many were acknowledged
// (or visible) at each moment, non-decreasing in both.
type curve []mark

type mark struct {
	At time.Duration // since the load started
	N  int64         // records so far
}

// ackCurve turns acknowledgements (when a request was answered and how many records
// it carried), in any order, into the cumulative curve.
func ackCurve(acks []mark) curve {
	s := slices.Clone(acks)
	slices.SortFunc(s, func(a, b mark) int { return int(a.At - b.At) })
	var n int64
	for i := range s {
		n += s[i].N
		s[i].N = n
	}
	return s
}

// reached returns when c first reached k records, and whether it did.
func (c curve) reached(k int64) (time.Duration, bool) {
	i, _ := slices.BinarySearchFunc(c, k, func(m mark, k int64) int {
		switch {
		case m.N < k:
			return -1
		case m.N > k:
			return 1
		}
		return 0
	})
	if i == len(c) {
		return 0, false
	}
	return c[i].At, true
}

// lags is, for the k-th record acknowledged (k = 1…n), how long after the k-th
// acknowledgement the k-th record was visible: the visible curve's lag behind the
// acknowledged one, record by record. It reads both curves as queues — a record is
// counted visible in acknowledgement order — which is exact for one partition and
// within a batch of the slowest partition otherwise (the sink writes whole batches).
// Records never visible are left out; missing says how many.
func lags(acked, visible curve) (out []time.Duration, missing int64) {
	if len(acked) == 0 {
		return nil, 0
	}
	total := acked[len(acked)-1].N
	out = make([]time.Duration, 0, total)
	vi := 0
	prev := int64(0)
	for _, a := range acked {
		for k := prev + 1; k <= a.N; k++ {
			for vi < len(visible) && visible[vi].N < k {
				vi++
			}
			if vi == len(visible) {
				return out, total - k + 1
			}
			out = append(out, max(0, visible[vi].At-a.At))
		}
		prev = a.N
	}
	return out, 0
}

// quantile returns the q-quantile (0…1) of sorted d by the nearest-rank method.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// summary sorts d and describes its p50, p99 and max.
func summary(d []time.Duration) string {
	if len(d) == 0 {
		return "none"
	}
	slices.Sort(d)
	return fmt.Sprintf("p50 %s  p99 %s  max %s", quantile(d, 0.50).Round(time.Millisecond),
		quantile(d, 0.99).Round(time.Millisecond), d[len(d)-1].Round(time.Millisecond))
}

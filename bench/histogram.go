package bench

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// histogram is a Prometheus histogram as exposed: cumulative counts by upper bound,
// ascending, the last +Inf.
type histogram struct {
	le     []float64
	counts []float64
	sum    float64
	count  float64
}

// readHistogram finds the histogram family (without labels other than le) in
// Prometheus text exposition.
func readHistogram(r io.Reader, family string) (histogram, error) {
	var h histogram
	var sawSum, sawCount bool
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		switch {
		case strings.HasPrefix(name, family+`_bucket{le="`) && strings.HasSuffix(name, `"}`):
			le, lerr := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(name, family+`_bucket{le="`), `"}`), 64)
			if err != nil || lerr != nil {
				return h, fmt.Errorf("bench: histogram %s: %q", family, line)
			}
			h.le, h.counts = append(h.le, le), append(h.counts, v)
		case name == family+"_sum":
			h.sum, sawSum = v, err == nil
		case name == family+"_count":
			h.count, sawCount = v, err == nil
		}
	}
	if err := sc.Err(); err != nil {
		return h, err
	}
	if len(h.le) == 0 || !sawSum || !sawCount {
		return h, fmt.Errorf("bench: histogram %s not exposed", family)
	}
	return h, nil
}

// quantile is the upper bound of the bucket the q-quantile falls in (+Inf past the
// last finite bound): what the histogram can say, an upper bound.
func (h histogram) quantile(q float64) float64 {
	rank := q * h.count
	for i, c := range h.counts {
		if c >= rank && c > 0 {
			return h.le[i]
		}
	}
	return math.Inf(1)
}

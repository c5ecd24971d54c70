package runner

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Writes counts what a runner's transactions stored, once committed: an operator
// (and the bench) can tell from them whether a consumer's states are written as
// designed — most rows with their fresh part alone — or whole at nearly every batch,
// which costs the company's whole head each time (docs/performance.md, "What is
// next", item 10).
type Writes struct {
	// Rows are the company rows written, by part: "whole" (head and fresh part) or
	// "fresh" (the fresh part alone, the head kept as stored).
	Rows *prometheus.CounterVec
	// Bytes are the bytes sent, by part: "head", "fresh" and "items" (the changed
	// items' documents).
	Bytes *prometheus.CounterVec
}

// NewWrites registers the write counters of the runner of engine ("alerting",
// "quality") with reg: one family for every engine, told apart by its label.
func NewWrites(reg prometheus.Registerer, engine string) *Writes {
	f := promauto.With(reg)
	labels := prometheus.Labels{"engine": engine}
	w := &Writes{
		Rows: f.NewCounterVec(prometheus.CounterOpts{Name: "chemguard_engine_state_rows_total", ConstLabels: labels,
			Help: "Company state rows an engine's consumer stored, by part written: whole (head and fresh part) or fresh (the fresh part alone)."},
			[]string{"part"}),
		Bytes: f.NewCounterVec(prometheus.CounterOpts{Name: "chemguard_engine_state_bytes_total", ConstLabels: labels,
			Help: "Bytes of company state an engine's consumer stored, by part: head, fresh, items."},
			[]string{"part"}),
	}
	// Every part exposed from the start, at 0 until something is stored.
	for _, part := range []string{"whole", "fresh"} {
		w.Rows.WithLabelValues(part)
	}
	for _, part := range []string{"head", "fresh", "items"} {
		w.Bytes.WithLabelValues(part)
	}
	return w
}

// written is what one transaction stored, counted once it committed.
type written struct {
	whole, fresh                     int
	headBytes, freshBytes, itemBytes int
}

// add counts a company's row and items.
func (w *written) add(whole bool, head, fresh []byte, items map[string][]byte) {
	if whole {
		w.whole++
		w.headBytes += len(head)
	} else {
		w.fresh++
	}
	w.freshBytes += len(fresh)
	for _, b := range items {
		w.itemBytes += len(b)
	}
}

// count adds a committed transaction's writes to m (nil: not counted).
func (m *Writes) count(w written) {
	if m == nil {
		return
	}
	m.Rows.WithLabelValues("whole").Add(float64(w.whole))
	m.Rows.WithLabelValues("fresh").Add(float64(w.fresh))
	m.Bytes.WithLabelValues("head").Add(float64(w.headBytes))
	m.Bytes.WithLabelValues("fresh").Add(float64(w.freshBytes))
	m.Bytes.WithLabelValues("items").Add(float64(w.itemBytes))
}

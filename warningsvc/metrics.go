package warningsvc

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/shandong-emergency/chemguard/warning"
)

// Metrics are the warning service's Prometheus metrics. Labels come from fixed
// sets: warning.ChangeKind values.
type Metrics struct {
	BatchSize    prometheus.Histogram
	BatchSeconds prometheus.Histogram
	Errors       prometheus.Counter
	Lag          prometheus.Gauge
	Changes      *prometheus.CounterVec // kind
	IntakeAge    prometheus.Gauge
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		BatchSize: f.NewHistogram(prometheus.HistogramOpts{Name: "chemguard_warning_batch_records",
			Help: "Messages per warning-consumer batch.", Buckets: prometheus.ExponentialBuckets(1, 4, 8)}),
		BatchSeconds: f.NewHistogram(prometheus.HistogramOpts{Name: "chemguard_warning_batch_seconds",
			Help: "Time to decode, apply and store one warning-consumer batch.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		Errors: f.NewCounter(prometheus.CounterOpts{Name: "chemguard_warning_errors_total",
			Help: "Warning-consumer batches and ticks that failed and were retried."}),
		Lag: f.NewGauge(prometheus.GaugeOpts{Name: "chemguard_warning_consumer_lag",
			Help: "Messages the warning consumer group is behind."}),
		Changes: f.NewCounterVec(prometheus.CounterOpts{Name: "chemguard_warning_changes_total",
			Help: "Alarm and warning changes stored, by kind."}, []string{"kind"}),
		IntakeAge: f.NewGauge(prometheus.GaugeOpts{Name: "chemguard_warning_intake_age_seconds",
			Help: "Seconds since the newest sensor reading the warning consumer stored was received (数据中断 is held beyond alarms.intake_gap)."}),
	}
}

// count records committed changes by kind.
func (m *Metrics) count(kinds map[warning.ChangeKind]int) {
	if m == nil {
		return
	}
	for k, n := range kinds {
		m.Changes.WithLabelValues(string(k)).Add(float64(n))
	}
}

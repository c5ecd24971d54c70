package warningsvc

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/warning"
)

// Metrics are the warning service's Prometheus metrics. Labels come from fixed
// sets: warning.ChangeKind values.
type Metrics struct {
	BatchSize    prometheus.Histogram
	BatchSeconds prometheus.Histogram
	// Fetched and Stored are, for every message, the seconds from its publish (the
	// intake's acknowledgement) to its batch handed to the consumer, and to its batch
	// stored: the warning's path between the POST and a GET, split where the
	// consumer's own work starts.
	Fetched prometheus.Histogram
	Stored  prometheus.Histogram
	// CommitSeconds is each offset commit's round trip, and HeldBackSeconds each wait
	// of the store stage for the commit stage (runner.Loop's Committed and HeldBack).
	CommitSeconds   prometheus.Histogram
	HeldBackSeconds prometheus.Histogram
	Errors          prometheus.Counter
	Lag             prometheus.Gauge
	Changes         *prometheus.CounterVec // kind
	IntakeAge       prometheus.Gauge
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		BatchSize: f.NewHistogram(prometheus.HistogramOpts{Name: "chemguard_warning_batch_records",
			Help: "Messages per warning-consumer batch.", Buckets: prometheus.ExponentialBuckets(1, 4, 8)}),
		BatchSeconds: f.NewHistogram(prometheus.HistogramOpts{Name: "chemguard_warning_batch_seconds",
			Help: "Time to store one warning-consumer batch, from the store stage taking it (the runner's lock, apply, the transaction).", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		Fetched: f.NewHistogram(prometheus.HistogramOpts{Name: "chemguard_warning_fetched_after_seconds",
			Help: "Seconds from a message's publish to its batch handed to the warning consumer, per message.", Buckets: delayBuckets}),
		Stored: f.NewHistogram(prometheus.HistogramOpts{Name: "chemguard_warning_stored_after_seconds",
			Help: "Seconds from a message's publish to its batch stored by the warning consumer, per message.", Buckets: delayBuckets}),
		CommitSeconds: f.NewHistogram(prometheus.HistogramOpts{Name: "chemguard_warning_commit_seconds",
			Help: "Time of one offset commit of the warning consumer (the batches stored while the previous commit was in flight, together).", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		HeldBackSeconds: f.NewHistogram(prometheus.HistogramOpts{Name: "chemguard_warning_held_back_seconds",
			Help: "Time the warning consumer's store stage waited to hand a stored batch to the commit stage, each time it waited (the stored batches waiting for their offsets at their bound).", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
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

// delayBuckets are 5 ms to 10 s: the 200 ms a reading has to its warning among the
// bounds, the hundreds of milliseconds around it told apart (doubling buckets put
// every tail between 160 and 640 ms into two), and a backlog.
var delayBuckets = []float64{.005, .01, .025, .05, .075, .1, .15, .2, .25, .3, .4, .5, .75, 1, 1.5, 2, 3, 5, 10}

// observeAges observes, for each message with a publish time, the seconds from it to
// at.
func observeAges(h prometheus.Histogram, msgs []bus.Message, at time.Time) {
	for _, m := range msgs {
		if !m.Time.IsZero() {
			h.Observe(max(at.Sub(m.Time), 0).Seconds())
		}
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

package ingest

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the exchange path's Prometheus metrics. Labels come from fixed sets:
// table slugs, statuses and validate.Rule names.
type Metrics struct {
	Records        *prometheus.CounterVec   // table, status (accepted|rejected)
	Rejections     *prometheus.CounterVec   // table, rule
	Requests       *prometheus.CounterVec   // table, code (HTTP status)
	RequestSeconds *prometheus.HistogramVec // table
	SinkBatchSize  prometheus.Histogram
	SinkSeconds    prometheus.Histogram
	SinkErrors     prometheus.Counter
	SinkLag        prometheus.Gauge
	// SinkYieldSeconds is the time the sink waited for the warning consumer to catch up.
	SinkYieldSeconds prometheus.Counter
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		Records: f.NewCounterVec(prometheus.CounterOpts{Name: "chemguard_exchange_records_total",
			Help: "Exchange records received, by table and status."}, []string{"table", "status"}),
		Rejections: f.NewCounterVec(prometheus.CounterOpts{Name: "chemguard_exchange_rejections_total",
			Help: "Field errors of rejected exchange records, by table and rule."}, []string{"table", "rule"}),
		Requests: f.NewCounterVec(prometheus.CounterOpts{Name: "chemguard_exchange_requests_total",
			Help: "Exchange POST requests by table and HTTP status."}, []string{"table", "code"}),
		RequestSeconds: f.NewHistogramVec(prometheus.HistogramOpts{Name: "chemguard_exchange_request_seconds",
			Help: "Time from request to reply (after Kafka acknowledged), by table.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}, []string{"table"}),
		SinkBatchSize: f.NewHistogram(prometheus.HistogramOpts{Name: "chemguard_sink_batch_records",
			Help: "Messages per sink batch.", Buckets: prometheus.ExponentialBuckets(1, 4, 8)}),
		SinkSeconds: f.NewHistogram(prometheus.HistogramOpts{Name: "chemguard_sink_batch_seconds",
			Help: "Time to write one sink batch to PostgreSQL.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		SinkErrors: f.NewCounter(prometheus.CounterOpts{Name: "chemguard_sink_errors_total",
			Help: "Sink batches that failed and were retried."}),
		SinkLag: f.NewGauge(prometheus.GaugeOpts{Name: "chemguard_sink_consumer_lag",
			Help: "Messages the sink consumer group is behind."}),
		SinkYieldSeconds: f.NewCounter(prometheus.CounterOpts{Name: "chemguard_sink_yield_seconds_total",
			Help: "Time the sink waited before writing while the warning consumer was late (CHEMGUARD_SINK_YIELD)."}),
	}
}

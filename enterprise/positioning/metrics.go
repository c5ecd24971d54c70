package positioning

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/shandong-emergency/chemguard"
)

// Transports of the gateways' fixes, the transport label of the metrics.
const (
	TransportHTTP = "http"
	TransportMQTT = "mqtt"
)

// Batch outcomes, the outcome label of chemguard_positioning_batches_total.
const (
	BatchStored      = "stored"       // kept (its good fixes; some may have been refused one by one)
	BatchRefused     = "refused"      // refused whole: not an array, bad signature, revoked key
	BatchRateLimited = "rate_limited" // over the gateway's rate limit, not read
	BatchFailed      = "failed"       // the platform could not store it (database down); the gateway resends
)

// FixRateLimited is the reason of fixes refused with their batch for being
// over the gateway's rate limit; the other reasons are the per-fix rules
// (validate.Rule: required, datetime, unbound_card, …).
const FixRateLimited = "rate_limited"

// Metrics are the gateway intake's Prometheus metrics, shared by the HTTP
// batch API and the MQTT transport. Labels come from fixed sets: the
// transports, the batch outcomes and the fix rules above.
type Metrics struct {
	Fixes    *prometheus.CounterVec   // transport, outcome ("accepted" or the refusal's rule)
	Batches  *prometheus.CounterVec   // transport, outcome
	Seconds  *prometheus.HistogramVec // transport: receipt of a batch to its answer
	Gateways prometheus.Gauge         // gateways connected to the embedded broker
}

// NewMetrics registers the metrics with reg; a nil reg leaves them
// unregistered (a module built without the platform's registry still counts).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		Fixes: f.NewCounterVec(prometheus.CounterOpts{Name: "chemguard_positioning_fixes_total",
			Help: "人员定位 fixes from the gateways by transport and outcome: accepted, or the rule that refused it (rate_limited: with its batch)."},
			[]string{"transport", "outcome"}),
		Batches: f.NewCounterVec(prometheus.CounterOpts{Name: "chemguard_positioning_batches_total",
			Help: "人员定位 gateway batches by transport and outcome (stored, refused, rate_limited, failed)."},
			[]string{"transport", "outcome"}),
		Seconds: f.NewHistogramVec(prometheus.HistogramOpts{Name: "chemguard_positioning_intake_seconds",
			Help:    "Time from a gateway batch's receipt to its answer (stored, the live map moved, alarms raised).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}, []string{"transport"}),
		Gateways: f.NewGauge(prometheus.GaugeOpts{Name: "chemguard_positioning_mqtt_gateways",
			Help: "Positioning gateways connected to the embedded MQTT broker."}),
	}
}

// Metrics are the service's intake metrics.
func (s *Service) Metrics() *Metrics { return s.cfg.Metrics }

// Observe records one batch that went through Ingest over transport: its
// result or error and how long it took since receipt.
func (m *Metrics) Observe(transport string, res Result, err error, since time.Time) {
	m.Seconds.WithLabelValues(transport).Observe(time.Since(since).Seconds())
	if err != nil {
		var ce *chemguard.Error
		if errors.As(err, &ce) && ce.Code != chemguard.EInternal {
			m.Batches.WithLabelValues(transport, BatchRefused).Inc()
		} else {
			m.Batches.WithLabelValues(transport, BatchFailed).Inc()
		}
		return
	}
	m.Batches.WithLabelValues(transport, BatchStored).Inc()
	m.Fixes.WithLabelValues(transport, "accepted").Add(float64(res.Accepted))
	for _, e := range res.Errors {
		m.Fixes.WithLabelValues(transport, string(e.Rule)).Inc()
	}
}

// Limited records a batch of n fixes refused whole over the rate limit.
func (m *Metrics) Limited(transport string, n int) {
	m.Batches.WithLabelValues(transport, BatchRateLimited).Inc()
	m.Fixes.WithLabelValues(transport, FixRateLimited).Add(float64(n))
}

// Refused records a batch refused whole before it reached Ingest (a bad
// signature or key on the external broker).
func (m *Metrics) Refused(transport string) {
	m.Batches.WithLabelValues(transport, BatchRefused).Inc()
}

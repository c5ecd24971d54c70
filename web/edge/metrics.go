package edge

import "github.com/prometheus/client_golang/prometheus"

// Reasons a request or connection is refused at the edge (the metric's label values).
const (
	reasonBodyTooLarge      = "body_too_large"
	reasonInflightFull      = "body_inflight_full"
	reasonBodyUnreadable    = "body_unreadable"
	reasonEncoding          = "encoding_refused"
	reasonGzip              = "gzip_refused"
	reasonLoginPerIP        = "login_per_ip"
	reasonLoginPerAccount   = "login_per_account"
	reasonExchangePerIP     = "exchange_per_ip"
	reasonExchangePerKey    = "exchange_per_key"
	reasonStreamsPerIP      = "streams_per_ip"
	reasonStreamsPerSession = "streams_per_session"
	reasonConnsPerIP        = "conns_per_ip"
)

// Register adds the edge's metrics to reg: refusals by reason
// (chemguard_http_refused_total) and the body bytes held in flight
// (chemguard_http_inflight_body_bytes). Call it before serving.
func (g *Guard) Register(reg prometheus.Registerer) {
	g.refused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "chemguard_http_refused_total",
		Help: "Requests and connections refused at the HTTP edge, by reason."}, []string{"reason"})
	reg.MustRegister(g.refused, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "chemguard_http_inflight_body_bytes",
		Help: "Request-body bytes held by requests in progress."}, func() float64 { return float64(g.inflight.n.Load()) }))
}

func (g *Guard) count(reason string) {
	if g.refused != nil {
		g.refused.WithLabelValues(reason).Inc()
	}
}

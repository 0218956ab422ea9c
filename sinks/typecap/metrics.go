package typecap

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the cap's gauges and its refusals.
type Metrics struct {
	known   prometheus.Gauge
	max     prometheus.Gauge
	refused prometheus.Counter
}

// NewMetrics registers the cap's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		known: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hirebridge_undocumented_types",
			Help: "Undocumented event types with a destination (subject or topic) on the broker, as the bridge knows them.",
		}),
		max: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hirebridge_undocumented_types_max",
			Help: "The cap on undocumented event types with a destination (" + Variable + ").",
		}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hirebridge_undocumented_types_refused_total",
			Help: "Events of a new undocumented type refused because the cap was reached (kept on the dead letters).",
		}),
	}
	reg.MustRegister(m.known, m.max, m.refused)
	return m
}

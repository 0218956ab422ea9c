package bridge

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/hirebridge/hirebridge/schema"
)

// Outcomes of an event, the outcome label of hirebridge_events_total.
const (
	outcomePublished   = "published"
	outcomeDuplicate   = "duplicate"
	outcomeRejected    = "rejected"
	outcomeUnavailable = "unavailable"
	// outcomeAbandoned is a publish cut short because the sender hung up:
	// no one heard the 503, and the event may still have been stored.
	outcomeAbandoned = "abandoned"
	// outcomeSpooled is an event on the spool's disk, answered 202: the
	// broker did not take it in time, the spool forwards it later.
	outcomeSpooled = "spooled"
)

// Metrics are the bridge's own Prometheus series.
type Metrics struct {
	events      *prometheus.CounterVec
	responses   *prometheus.CounterVec
	deadLetters *prometheus.CounterVec
	inFlight    prometheus.Gauge
}

// NewMetrics registers the bridge's series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		events: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hirebridge_events_total",
			Help: "Webhook events by source, type and outcome (published, duplicate, spooled, rejected, unavailable, abandoned by the sender). Undocumented types count as type \"other\".",
		}, []string{"source", "type", "outcome"}),
		responses: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hirebridge_http_responses_total",
			Help: "Webhook HTTP responses by status code.",
		}, []string{"code"}),
		deadLetters: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hirebridge_dead_letters_total",
			Help: "Rejected bodies sent to the dead-letter topic, by source, reason and whether the broker stored them.",
		}, []string{"source", "reason", "stored"}),
		inFlight: f.NewGauge(prometheus.GaugeOpts{
			Name: "hirebridge_requests_in_flight",
			Help: "Webhook requests being processed.",
		}),
	}
}

// typeLabel keeps the label set bounded: a sender inventing names must not
// grow the series without limit.
func typeLabel(name string) string {
	if schema.IsKnown(name) {
		return name
	}
	return "other"
}

// event counts an event of source, a name the sources file bounds.
func (m *Metrics) event(source, name, outcome string) {
	m.events.WithLabelValues(source, typeLabel(name), outcome).Inc()
}

func (m *Metrics) response(status int) {
	m.responses.WithLabelValues(strconv.Itoa(status)).Inc()
}

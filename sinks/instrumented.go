package sinks

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Instrumented wraps a sink to observe publish latency, labelled by sink
// name, so no broker package carries metrics code of its own.
type Instrumented struct {
	Sink
	latency prometheus.Observer
}

var (
	_ ReadinessChecker = (*Instrumented)(nil)
	_ LivenessChecker  = (*Instrumented)(nil)
)

// NewPublishLatency registers hirebridge_publish_duration_seconds on reg.
func NewPublishLatency(reg prometheus.Registerer) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hirebridge_publish_duration_seconds",
		Help:    "Time from publish to broker ack (or failure), by sink.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"sink"})
	reg.MustRegister(h)
	return h
}

// Instrument returns s observing into latency under the label name.
func Instrument(s Sink, name string, latency *prometheus.HistogramVec) *Instrumented {
	return &Instrumented{Sink: s, latency: latency.WithLabelValues(name)}
}

func (i *Instrumented) Publish(ctx context.Context, m *Message) (Ack, error) {
	start := time.Now()
	ack, err := i.Sink.Publish(ctx, m)
	i.latency.Observe(time.Since(start).Seconds())
	return ack, err
}

// Ready passes through to the wrapped sink; a sink that cannot tell is
// taken as ready.
func (i *Instrumented) Ready(ctx context.Context) error {
	if rc, ok := i.Sink.(ReadinessChecker); ok {
		return rc.Ready(ctx)
	}
	return nil
}

// Live passes through to the wrapped sink; a sink that cannot tell is
// taken as live.
func (i *Instrumented) Live() error {
	if lc, ok := i.Sink.(LivenessChecker); ok {
		return lc.Live()
	}
	return nil
}

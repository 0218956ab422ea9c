// Package instrumented wraps a sink to observe publish latency, so that no
// broker package, nor the core sinks package, carries metrics code.
package instrumented

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hirebridge/hirebridge/sinks"
)

// Instrumented wraps a sink to observe publish latency, labelled by sink
// name, so no broker package carries metrics code of its own.
type Sink struct {
	sinks.Sink
	latency prometheus.Observer
}

var (
	_ sinks.ReadinessChecker = (*Sink)(nil)
	_ sinks.LivenessChecker  = (*Sink)(nil)
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

// Wrap returns s observing into latency under the label name.
func Wrap(s sinks.Sink, name string, latency *prometheus.HistogramVec) *Sink {
	return &Sink{Sink: s, latency: latency.WithLabelValues(name)}
}

func (i *Sink) Publish(ctx context.Context, m *sinks.Message) (sinks.Ack, error) {
	start := time.Now()
	ack, err := i.Sink.Publish(ctx, m)
	i.latency.Observe(time.Since(start).Seconds())
	return ack, err
}

// Ready passes through to the wrapped sink; a sink that cannot tell is
// taken as ready.
func (i *Sink) Ready(ctx context.Context) error {
	if rc, ok := i.Sink.(sinks.ReadinessChecker); ok {
		return rc.Ready(ctx)
	}
	return nil
}

// Live passes through to the wrapped sink; a sink that cannot tell is
// taken as live.
func (i *Sink) Live() error {
	if lc, ok := i.Sink.(sinks.LivenessChecker); ok {
		return lc.Live()
	}
	return nil
}

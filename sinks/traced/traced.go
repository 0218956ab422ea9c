// Package traced wraps a sink in a producer span per publish, and puts the
// span's W3C trace context on the message, so a consumer's span joins the
// trace. It is wired only when tracing is on: off, the sink is not wrapped
// and costs nothing.
package traced

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/hirebridge/hirebridge/sinks"
)

// TracerName names the tracer of the bridge's spans.
const TracerName = "github.com/hirebridge/hirebridge"

// Sink publishes each message inside a producer span.
type Sink struct {
	sinks.Sink
	tracer trace.Tracer
	system attribute.KeyValue
}

var (
	_ sinks.ReadinessChecker = (*Sink)(nil)
	_ sinks.LivenessChecker  = (*Sink)(nil)
)

// Wrap returns s publishing in producer spans of tp; system is the
// messaging.system, nats or kafka.
func Wrap(s sinks.Sink, system string, tp trace.TracerProvider) *Sink {
	return &Sink{Sink: s, tracer: tp.Tracer(TracerName), system: attribute.String("messaging.system", system)}
}

// Publish sends a copy of m whose traceparent and tracestate are the
// producer span's: the sender's, copied by the handler, are replaced,
// since the span is their child and its tracestate the sender's.
func (s *Sink) Publish(ctx context.Context, m *sinks.Message) (sinks.Ack, error) {
	ctx, span := Start(ctx, s.tracer, s.system, m)
	defer span.End()
	out := *m
	out.Headers = WithTraceContext(ctx, m.Headers)
	ack, err := s.Sink.Publish(ctx, &out)
	End(span, ack, err)
	return ack, err
}

// Start begins the producer span of m, named after the messaging semantic
// conventions: "publish <destination>". Its attributes are the message's
// addressing only, never its body.
func Start(ctx context.Context, tracer trace.Tracer, system attribute.KeyValue, m *sinks.Message, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	opts = append(opts, trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(
		system,
		attribute.String("messaging.operation.name", "publish"),
		attribute.String("messaging.operation.type", "send"),
		attribute.String("messaging.destination.name", m.Topic),
		attribute.String("messaging.message.id", m.ID),
		attribute.Int("messaging.message.body.size", len(m.Body)),
	))
	return tracer.Start(ctx, "publish "+m.Topic, opts...)
}

// End records what the broker answered on span, without ending it.
func End(span trace.Span, ack sinks.Ack, err error) {
	if err != nil {
		// The error names the broker's failure (a subject, a timeout);
		// it never quotes a message's body.
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return
	}
	span.SetAttributes(attribute.Bool("hirebridge.spooled", ack.Spooled), attribute.Bool("hirebridge.duplicate", ack.Duplicate))
}

// Ready passes through to the wrapped sink; a sink that cannot tell is
// taken as ready.
func (s *Sink) Ready(ctx context.Context) error {
	if rc, ok := s.Sink.(sinks.ReadinessChecker); ok {
		return rc.Ready(ctx)
	}
	return nil
}

// Live passes through to the wrapped sink; a sink that cannot tell is
// taken as live.
func (s *Sink) Live() error {
	if lc, ok := s.Sink.(sinks.LivenessChecker); ok {
		return lc.Live()
	}
	return nil
}

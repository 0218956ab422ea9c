package spool

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/traced"
)

// spans are the spool's spans: the wait for the disk within a request's
// trace, and the later forwarding in a trace of its own linked to it. The
// zero value starts none.
type spans struct {
	tracer trace.Tracer
	system attribute.KeyValue
}

func newSpans(tp trace.TracerProvider, system string) spans {
	if tp == nil {
		return spans{}
	}
	return spans{tracer: tp.Tracer(traced.TracerName), system: attribute.String("messaging.system", system)}
}

// startAppend begins the span of m's append, a child of the request's
// producer span: how long the request waited for the disk.
func (s spans) startAppend(ctx context.Context, m *sinks.Message) trace.Span {
	if s.tracer == nil {
		return nil
	}
	_, span := s.tracer.Start(ctx, "spool "+m.Topic, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attribute.String("messaging.destination.name", m.Topic), attribute.String("messaging.message.id", m.ID)))
	return span
}

func endAppend(span trace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// startForward begins the producer span of a spooled record's forwarding.
// It starts a trace of its own: the request's ended long ago, perhaps in
// a process since restarted. Its link names the span whose traceparent
// the record kept, the request's producer span, so the two traces find
// each other. It returns the message to publish: a copy of m with the
// forwarding span's trace context, which the consumer continues. m itself
// is left as it was read, as the spool's byte count knows it.
func (s spans) startForward(ctx context.Context, m *sinks.Message) (context.Context, trace.Span, *sinks.Message) {
	if s.tracer == nil {
		return ctx, nil, m
	}
	var opts []trace.SpanStartOption
	if link := trace.SpanContextFromContext(traced.Extract(context.Background(), m.Headers)); link.IsValid() {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: link}))
	}
	ctx, span := traced.Start(ctx, s.tracer, s.system, m, append(opts, trace.WithNewRoot(),
		trace.WithAttributes(attribute.Bool("hirebridge.spool.forwarded", true)))...)
	out := *m
	out.Headers = traced.WithTraceContext(ctx, m.Headers)
	return ctx, span, &out
}

func endForward(span trace.Span, err error) {
	if span == nil {
		return
	}
	traced.End(span, sinks.Ack{}, err)
	span.End()
}

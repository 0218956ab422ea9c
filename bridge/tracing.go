package bridge

import (
	"net/http"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the tracer of the bridge's spans, the same as the
// producer spans' (sinks/traced).
const tracerName = "github.com/hirebridge/hirebridge"

// EnableTracing gives each request a server span of tp, the sender's
// traceparent its parent. Call it before serving; without it the handler
// starts no span and copies the sender's trace context onto messages as
// it is.
func (h *Handler) EnableTracing(tp trace.TracerProvider) {
	h.tracer = tp.Tracer(tracerName)
}

// startServerSpan is hand-made rather than otelhttp's: the attributes are
// chosen so none carries the token, which is in the path (url.path and
// url.full are left out; http.route names it {token}), nor the client's
// address, which is personal data.
func (h *Handler) startServerSpan(r *http.Request) (*http.Request, trace.Span) {
	ctx := propagation.TraceContext{}.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	method := r.Method
	if !knownMethods[method] {
		method = "_OTHER" // the semantic conventions' bound on cardinality
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	ctx, span := h.tracer.Start(ctx, method+" "+h.route,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", method),
			attribute.String("http.route", h.route),
			attribute.String("url.scheme", scheme),
			attribute.String("network.protocol.version", protocolVersion(r)),
		))
	return r.WithContext(ctx), span
}

var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodConnect: true,
	http.MethodOptions: true, http.MethodTrace: true,
}

func protocolVersion(r *http.Request) string {
	switch r.ProtoMajor {
	case 2:
		return "2"
	case 3:
		return "3"
	}
	return "1.1"
}

// endServerSpan records o and ends span. A rejected or failed request is
// an error, its code the error.type; the detail is left out, as a
// rejection's may quote the sender's values.
func endServerSpan(span trace.Span, o outcome) {
	attrs := []attribute.KeyValue{attribute.Int("http.response.status_code", o.status)}
	for _, f := range [...][2]string{
		{"hirebridge.event.name", o.event}, {"hirebridge.event.id", o.id},
		{"hirebridge.outcome", o.result}, {"error.type", o.code},
	} {
		if f[1] != "" {
			attrs = append(attrs, attribute.String(f[0], f[1]))
		}
	}
	span.SetAttributes(attrs...)
	if o.status >= 400 {
		span.SetStatus(codes.Error, o.code)
	}
	span.End()
}

// logTrace adds the ids of span to a log line, so the line and the trace
// find each other.
func logTrace(e *zerolog.Event, span trace.Span) *zerolog.Event {
	sc := span.SpanContext()
	if !sc.IsValid() {
		return e
	}
	return e.Str("trace_id", sc.TraceID().String()).Str("span_id", sc.SpanID().String())
}

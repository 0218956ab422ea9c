package traced

import (
	"context"

	"go.opentelemetry.io/otel/propagation"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// w3c is the W3C Trace Context propagator: traceparent and tracestate.
var w3c propagation.TraceContext

// WithTraceContext returns a copy of headers whose traceparent and
// tracestate are those of ctx's span, first as the handler puts them, the
// others kept in order. The copy leaves the caller's message as it was (a
// dead letter is built from it).
func WithTraceContext(ctx context.Context, headers []sinks.Header) []sinks.Header {
	var injected headerCarrier
	w3c.Inject(ctx, &injected)
	c := make(headerCarrier, 0, len(headers)+2)
	for _, name := range [...]string{events.HeaderTraceParent, events.HeaderTraceState} {
		if v := injected.Get(name); v != "" {
			c = append(c, sinks.Header{Name: name, Value: v})
		}
	}
	for _, h := range headers {
		if h.Name != events.HeaderTraceParent && h.Name != events.HeaderTraceState {
			c = append(c, h)
		}
	}
	return c
}

// Extract returns ctx with the remote span context that headers carry, if
// any: the spool's forwarder links to it.
func Extract(ctx context.Context, headers []sinks.Header) context.Context {
	c := headerCarrier(headers)
	return w3c.Extract(ctx, &c)
}

// headerCarrier lets the propagator read and write message headers.
type headerCarrier []sinks.Header

func (c *headerCarrier) Get(key string) string {
	for _, h := range *c {
		if h.Name == key {
			return h.Value
		}
	}
	return ""
}

func (c *headerCarrier) Set(key, value string) {
	for i, h := range *c {
		if h.Name == key {
			(*c)[i].Value = value
			return
		}
	}
	*c = append(*c, sinks.Header{Name: key, Value: value})
}

func (c *headerCarrier) Keys() []string {
	keys := make([]string, len(*c))
	for i, h := range *c {
		keys[i] = h.Name
	}
	return keys
}

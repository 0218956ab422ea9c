package otlptest

import (
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// WantContinued checks that a consumer continued the bridge's trace: the
// recorder holds one ended span, named consumer, whose remote parent is a
// span named producer that the bridge exported to r.
func (r *Receiver) WantContinued(t testing.TB, spans *tracetest.SpanRecorder, consumer, producer string) {
	t.Helper()
	ended := spans.Ended()
	if len(ended) != 1 || ended[0].Name() != consumer {
		t.Fatalf("%d consumer spans, want one named %s", len(ended), consumer)
	}
	parent := ended[0].Parent()
	if !parent.IsRemote() || !parent.IsValid() {
		t.Fatalf("the consumer span's parent %v, want the message's traceparent", parent)
	}
	r.WaitFor(t, 10*time.Second, func(got []Span) bool {
		for _, s := range got {
			if s.Name == producer && s.SpanID == parent.SpanID().String() && s.TraceID == parent.TraceID().String() {
				return true
			}
		}
		return false
	})
}

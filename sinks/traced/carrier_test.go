package traced

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/hirebridge/hirebridge/sinks"
)

// The span's trace context replaces the sender's copy, first, the other
// headers kept in order, and the caller's slice untouched.
func TestWithTraceContextReplacesTheSenders(t *testing.T) {
	ts, err := trace.ParseTraceState("vendor=kept")
	if err != nil {
		t.Fatal(err)
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1, 2, 3},
		SpanID:     trace.SpanID{4, 5, 6},
		TraceFlags: trace.FlagsSampled,
		TraceState: ts,
	})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	in := []sinks.Header{
		{Name: "traceparent", Value: "00-sender"}, {Name: "tracestate", Value: "vendor=kept"},
		{Name: "hirebridge-source", Value: "a"}, {Name: "hirebridge-validated", Value: "false"},
	}
	got := WithTraceContext(ctx, in)
	want := []sinks.Header{
		{Name: "traceparent", Value: "00-01020300000000000000000000000000-0405060000000000-01"},
		{Name: "tracestate", Value: "vendor=kept"},
		{Name: "hirebridge-source", Value: "a"}, {Name: "hirebridge-validated", Value: "false"},
	}
	if len(got) != len(want) {
		t.Fatalf("%v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("header %d: %v, want %v", i, got[i], want[i])
		}
	}
	if in[0].Value != "00-sender" {
		t.Error("the caller's headers were changed")
	}
}

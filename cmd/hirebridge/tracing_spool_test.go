package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/hirebridge/hirebridge/internal/otlptest"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// Through the spool: an event posted while the broker is away is spooled
// inside the request's trace (a spool span beneath the producer span),
// and forwarded once the broker is back in a trace of its own whose
// producer span links to the request's; the message carries the
// forwarding span's traceparent.
func TestTracingThroughTheSpool(t *testing.T) {
	t.Parallel()
	recv := otlptest.Start(t)
	broker := natstest.Start(t)
	env := spoolEnv(t, broker.URL())
	env["OTEL_EXPORTER_OTLP_ENDPOINT"] = recv.Endpoint()
	svc := startService(t, env)
	tp := testTracer(t, recv)

	broker.Stop()
	ctx, send := tp.Tracer("sender").Start(context.Background(), "send job_added", trace.WithSpanKind(trace.SpanKindClient))
	r := postTraced(t, ctx, svc.webhookURL(), example(t, "job_added.json"))
	send.End()
	if r.Status != http.StatusAccepted {
		t.Fatalf("%d %s, want 202 spooled", r.Status, r.Raw)
	}
	broker.Restart(t)
	waitFor(t, 15*time.Second, "the spool to drain", func() bool {
		return metricValue(t, svc.admin, "hirebridge_spool_events") == 0
	})
	var traceparent string
	for _, m := range readStream(t, broker.URL(), "HIREMPIRE") {
		traceparent = m.Header.Get("traceparent")
	}
	if err := svc.shutdown(); err != nil {
		t.Fatal(err)
	}
	spans := recv.WaitFor(t, 10*time.Second, func(s []otlptest.Span) bool { return len(s) >= 5 })

	sender := only(t, spans, func(s otlptest.Span) bool { return s.Name == "send job_added" })
	producer := only(t, spans, func(s otlptest.Span) bool {
		return s.Kind == tracepb.Span_SPAN_KIND_PRODUCER && s.TraceID == sender.TraceID
	})
	wait := only(t, spans, func(s otlptest.Span) bool { return s.Name == "spool hirempire.job_added" })
	forward := only(t, spans, func(s otlptest.Span) bool { return s.Attrs["hirebridge.spool.forwarded"] == "true" })
	if producer.Attrs["hirebridge.spooled"] != "true" {
		t.Errorf("the request's producer span: spooled %q, want true", producer.Attrs["hirebridge.spooled"])
	}
	if wait.ParentID != producer.SpanID || wait.TraceID != sender.TraceID {
		t.Errorf("the spool's wait under %s, want under the producer span %s", wait.ParentID, producer.SpanID)
	}
	if forward.ParentID != "" || forward.TraceID == sender.TraceID {
		t.Errorf("the forwarding span has parent %q in trace %s, want a root of its own", forward.ParentID, forward.TraceID)
	}
	if len(forward.Links) != 1 || forward.Links[0] != (otlptest.Link{TraceID: sender.TraceID, SpanID: producer.SpanID}) {
		t.Errorf("the forwarding span links %v, want the request's producer span %s/%s", forward.Links, sender.TraceID, producer.SpanID)
	}
	if want := "00-" + forward.TraceID + "-" + forward.SpanID + "-01"; traceparent != want {
		t.Errorf("the forwarded message's traceparent %q, want the forwarding span's %q\n%s", traceparent, want, otlptest.Describe(spans))
	}
}

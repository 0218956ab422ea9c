package spool_test

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// With tracing on, each spooled record is forwarded in a span of its own,
// linked to the span its record's traceparent names (none for a record
// that kept none), and published with the forwarding span's traceparent;
// the spool's byte count still comes back to zero, though the forwarded
// copy carries a header the record did not.
func TestForwardingSpansLinkTheRequest(t *testing.T) {
	srv := natstest.Start(t)
	recorder := tracetest.NewSpanRecorder()
	var logs syncbuf.Buffer
	cfg := spoolConfig(t.TempDir(), 300*time.Millisecond, &logs)
	cfg.TracerProvider, cfg.MessagingSystem = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder)), "nats"
	srv.Stop()
	sp := openSpool(t, cfg, lazyNATS(t, srv.URL()))

	traced, untraced := event("a", 1), event("b", 1)
	untraced.Headers = nil
	for _, m := range []*sinks.Message{traced, untraced} {
		ack, err := sp.Publish(context.Background(), m)
		if err != nil || !ack.Spooled {
			t.Fatalf("%s: %+v %v, want spooled", m.ID, ack, err)
		}
	}
	srv.Restart(t)
	waitEmpty(t, sp, 15*time.Second)
	if backlog, reserved := sp.Counted(); backlog != 0 || reserved != 0 {
		t.Errorf("after forwarding: backlog %d, %d bytes held; want none", backlog, reserved)
	}

	forwarded := map[string]sdktrace.ReadOnlySpan{}
	appends := 0
	for _, s := range recorder.Ended() {
		switch s.Name() {
		case "publish " + traced.Topic:
			for _, a := range s.Attributes() {
				if a.Key == "messaging.message.id" {
					forwarded[a.Value.AsString()] = s
				}
			}
		case "spool " + traced.Topic:
			appends++
		}
	}
	if appends != 2 || len(forwarded) != 2 {
		t.Fatalf("%d append spans and %d forwarding spans, want 2 of each", appends, len(forwarded))
	}
	links := forwarded[traced.ID].Links()
	if len(links) != 1 || links[0].SpanContext.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" ||
		links[0].SpanContext.SpanID().String() != "b7ad6b7169203331" {
		t.Errorf("the traced record's forwarding links %v, want the span of its traceparent", links)
	}
	if links := forwarded[untraced.ID].Links(); len(links) != 0 {
		t.Errorf("the untraced record's forwarding links %v, want none", links)
	}
	for id, tp := range traceparents(t, srv.URL()) {
		s := forwarded[id]
		if want := "00-" + s.SpanContext().TraceID().String() + "-" + s.SpanContext().SpanID().String() + "-01"; tp != want {
			t.Errorf("%s: traceparent %q, want the forwarding span's %q", id, tp, want)
		}
		if s.Parent().IsValid() {
			t.Errorf("%s: the forwarding span has parent %v, want a trace of its own", id, s.Parent())
		}
		if s.SpanKind() != trace.SpanKindProducer {
			t.Errorf("%s: forwarding span kind %s, want producer", id, s.SpanKind())
		}
	}
}

// traceparents reads every message's traceparent by its id.
func traceparents(t *testing.T, url string) map[string]string {
	t.Helper()
	s := streamContents(t, url)
	out := map[string]string{}
	for id, h := range s.headers {
		out[id] = h.Get("traceparent")
	}
	if len(out) != 2 {
		t.Fatalf("%d messages on the stream, want 2", len(out))
	}
	return out
}

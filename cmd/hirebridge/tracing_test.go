package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/hirebridge/hirebridge/internal/otlptest"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// senderTraceState is the sender's vendor entry, which must reach the
// consumer unchanged.
const senderTraceState = "hirempire=t61rcWkgMzE"

// The trace from a sender through the bridge to a consumer, on both
// brokers, as a real OTLP receiver gets it over the wire: the sender's
// span is the server span's parent, the server span the producer span's,
// and the consumer, continuing from the message's traceparent, the
// producer span's child.
func TestTracingSpanTree(t *testing.T) {
	t.Parallel()
	for _, broker := range []string{"nats", "kafka"} {
		t.Run(broker, func(t *testing.T) {
			t.Parallel()
			recv := otlptest.Start(t)
			env, read := tracedBroker(t, broker)
			env["OTEL_EXPORTER_OTLP_ENDPOINT"] = recv.Endpoint()
			env["OTEL_SERVICE_NAME"] = "hirebridge-test"
			svc := startService(t, env)
			tp := testTracer(t, recv)

			ctx, send := tp.Tracer("sender").Start(context.Background(), "send applicant_applied", trace.WithSpanKind(trace.SpanKindClient))
			r := postTraced(t, ctx, svc.webhookURL(), example(t, "applicant_applied.json"))
			send.End()
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
			headers := read(t, "hirempire.applicant_applied")
			if headers["tracestate"] != senderTraceState {
				t.Errorf("tracestate %q, want the sender's %q", headers["tracestate"], senderTraceState)
			}
			consumerCtx := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier(headers))
			_, consume := tp.Tracer("consumer").Start(consumerCtx, "process hirempire.applicant_applied", trace.WithSpanKind(trace.SpanKindConsumer))
			consume.End()
			if err := svc.shutdown(); err != nil { // flushes the service's spans
				t.Fatal(err)
			}
			spans := recv.WaitFor(t, 10*time.Second, func(s []otlptest.Span) bool { return len(s) >= 4 })

			sender := only(t, spans, func(s otlptest.Span) bool { return s.Name == "send applicant_applied" })
			server := only(t, spans, func(s otlptest.Span) bool { return s.Kind == tracepb.Span_SPAN_KIND_SERVER })
			producer := only(t, spans, func(s otlptest.Span) bool { return s.Kind == tracepb.Span_SPAN_KIND_PRODUCER })
			consumer := only(t, spans, func(s otlptest.Span) bool { return s.Kind == tracepb.Span_SPAN_KIND_CONSUMER })
			for _, link := range []struct{ child, parent otlptest.Span }{{server, sender}, {producer, server}, {consumer, producer}} {
				if link.child.ParentID != link.parent.SpanID || link.child.TraceID != sender.TraceID {
					t.Errorf("%s: parent %s in trace %s, want %s (%s) in trace %s\n%s", link.child.Name,
						link.child.ParentID, link.child.TraceID, link.parent.SpanID, link.parent.Name, sender.TraceID, otlptest.Describe(spans))
				}
			}
			if want := "00-" + sender.TraceID + "-" + producer.SpanID + "-01"; headers["traceparent"] != want {
				t.Errorf("the message's traceparent %q, want the producer span's %q", headers["traceparent"], want)
			}
			if server.Service != "hirebridge-test" || server.Name != "POST /webhooks/hirempire/{token}" {
				t.Errorf("server span %q of %q", server.Name, server.Service)
			}
			wantAttrs(t, server, map[string]string{
				"http.request.method": "POST", "http.route": "/webhooks/hirempire/{token}",
				"http.response.status_code": "200", "hirebridge.event.name": "applicant_applied",
				"hirebridge.outcome": "published",
			})
			wantAttrs(t, producer, map[string]string{
				"messaging.system": broker, "messaging.destination.name": "hirempire.applicant_applied",
				"messaging.operation.name": "publish", "messaging.message.id": server.Attrs["hirebridge.event.id"],
			})
			if producer.Attrs["messaging.message.id"] == "" {
				t.Error("no event id on the spans")
			}
			if !strings.Contains(svc.logs.String(), `"trace_id":"`+sender.TraceID+`","span_id":"`+server.SpanID+`"`) {
				t.Errorf("the request's log line lacks trace_id %s and span_id %s:\n%s", sender.TraceID, server.SpanID, svc.logs)
			}
		})
	}
}

// A sender without trace context still gets its event a traceparent: the
// server span starts the trace.
func TestTracingWithoutSenderTraceparent(t *testing.T) {
	t.Parallel()
	recv := otlptest.Start(t)
	env, read := tracedBroker(t, "nats")
	env["OTEL_EXPORTER_OTLP_ENDPOINT"] = recv.Endpoint()
	svc := startService(t, env)
	if r := mustPost(t, svc.webhookURL(), example(t, "job_added.json")); r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	headers := read(t, "hirempire.job_added")
	if err := svc.shutdown(); err != nil {
		t.Fatal(err)
	}
	spans := recv.WaitFor(t, 10*time.Second, func(s []otlptest.Span) bool { return len(s) >= 2 })
	server := only(t, spans, func(s otlptest.Span) bool { return s.Kind == tracepb.Span_SPAN_KIND_SERVER })
	producer := only(t, spans, func(s otlptest.Span) bool { return s.Kind == tracepb.Span_SPAN_KIND_PRODUCER })
	if server.ParentID != "" {
		t.Errorf("server span has parent %s, want a root", server.ParentID)
	}
	if want := "00-" + server.TraceID + "-" + producer.SpanID + "-01"; headers["traceparent"] != want {
		t.Errorf("traceparent %q, want %q", headers["traceparent"], want)
	}
	if _, ok := headers["tracestate"]; ok {
		t.Errorf("tracestate %q with none sent", headers["tracestate"])
	}
}

// A rejected event's server span is an error, and its dead letter's
// publish a producer span beneath it.
func TestTracingRejectedSpan(t *testing.T) {
	t.Parallel()
	recv := otlptest.Start(t)
	env, _ := tracedBroker(t, "nats")
	env["OTEL_EXPORTER_OTLP_ENDPOINT"] = recv.Endpoint()
	svc := startService(t, env)
	body := bytes.Replace(example(t, "job_added.json"), []byte(`"timestamp"`), []byte(`"timestamp_not"`), 1)
	if r := mustPost(t, svc.webhookURL(), body); r.Status < 400 {
		t.Fatalf("%d %s, want a rejection", r.Status, r.Raw)
	}
	if err := svc.shutdown(); err != nil {
		t.Fatal(err)
	}
	spans := recv.WaitFor(t, 10*time.Second, func(s []otlptest.Span) bool { return len(s) >= 2 })
	server := only(t, spans, func(s otlptest.Span) bool { return s.Kind == tracepb.Span_SPAN_KIND_SERVER })
	dead := only(t, spans, func(s otlptest.Span) bool { return s.Kind == tracepb.Span_SPAN_KIND_PRODUCER })
	if server.Status != tracepb.Status_STATUS_CODE_ERROR || server.Attrs["error.type"] == "" {
		t.Errorf("server span status %s, error.type %q; want an error with its code", server.Status, server.Attrs["error.type"])
	}
	if dead.ParentID != server.SpanID || dead.Attrs["messaging.destination.name"] != "hirempire.dlq" {
		t.Errorf("dead letter span %s under %s, want under %s\n%s", dead.Name, dead.ParentID, server.SpanID, otlptest.Describe(spans))
	}
}

// No personal data in any span: an applicant's name, e-mail and phone,
// accepted and rejected (a rejection's detail quotes values), appear in
// no attribute or event of any exported span.
func TestTracingNoPersonalDataInSpans(t *testing.T) {
	t.Parallel()
	recv := otlptest.Start(t)
	env, _ := tracedBroker(t, "nats")
	env["OTEL_EXPORTER_OTLP_ENDPOINT"] = recv.Endpoint()
	svc := startService(t, env)
	personal := []string{"Zebedee Quillfeather", "zebedee.quillfeather@personal.example", "+447700900123"}
	body := example(t, "applicant_applied.json")
	for old, repl := range map[string]string{"John Doe": personal[0], "john.doe@example.com": personal[1], "+14155551234": personal[2]} {
		body = bytes.ReplaceAll(body, []byte(old), []byte(repl))
	}
	if r := mustPost(t, svc.webhookURL(), body); r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	// The e-mail where a number belongs: the rejection's detail quotes it.
	bad := bytes.Replace(body, []byte(`"years_of_experience": 6`), []byte(`"years_of_experience": "`+personal[1]+`"`), 1)
	if r := mustPost(t, svc.webhookURL(), bad); r.Status < 400 {
		t.Fatalf("%d %s, want a rejection", r.Status, r.Raw)
	}
	if err := svc.shutdown(); err != nil {
		t.Fatal(err)
	}
	spans := recv.WaitFor(t, 10*time.Second, func(s []otlptest.Span) bool { return len(s) >= 4 })
	for _, s := range spans {
		texts := []string{s.Name}
		for k, v := range s.Attrs {
			texts = append(texts, k, v)
		}
		for _, e := range s.Events {
			texts = append(texts, e.Name)
			for k, v := range e.Attrs {
				texts = append(texts, k, v)
			}
		}
		for _, text := range texts {
			for _, p := range personal {
				if strings.Contains(text, p) {
					t.Errorf("span %s holds %q: %q", s.Name, p, text)
				}
			}
		}
	}
}

// tracedBroker starts a broker and returns the service's environment for
// it and a reader of the headers of the one message on a destination.
func tracedBroker(t *testing.T, broker string) (map[string]string, func(t *testing.T, topic string) map[string]string) {
	switch broker {
	case "nats":
		nb := natstest.Start(t)
		return baseEnv(t, nb.URL()), func(t *testing.T, topic string) map[string]string {
			t.Helper()
			for _, m := range readStream(t, nb.URL(), "HIREMPIRE") {
				if m.Subject == topic {
					h := map[string]string{}
					for k := range m.Header {
						h[k] = m.Header.Get(k)
					}
					return h
				}
			}
			t.Fatalf("no message on %s", topic)
			return nil
		}
	default:
		kb := kafkatest.Start(t)
		return kafkaEnv(t, kb.Addr()), func(t *testing.T, topic string) map[string]string {
			t.Helper()
			recs := kb.Records(t, topic)
			if len(recs) != 1 {
				t.Fatalf("%d records on %s, want 1", len(recs), topic)
			}
			h := map[string]string{}
			for _, x := range recs[0].Headers {
				h[x.Key] = x.Value
			}
			return h
		}
	}
}

// testTracer is the sender's and the consumer's tracing, exporting to the
// same receiver as the service, each span as it ends.
func testTracer(t *testing.T, recv *otlptest.Receiver) *sdktrace.TracerProvider {
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(recv.Endpoint()+"/v1/traces"))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "test"))))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

// postTraced posts body with ctx's trace context and the sender's
// tracestate.
func postTraced(t *testing.T, ctx context.Context, url string, body []byte) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	req.Header.Set("tracestate", senderTraceState)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw bytes.Buffer
	_, _ = raw.ReadFrom(resp.Body)
	return reply{Status: resp.StatusCode, Raw: raw.String()}
}

func only(t *testing.T, spans []otlptest.Span, match func(otlptest.Span) bool) otlptest.Span {
	t.Helper()
	var found []otlptest.Span
	for _, s := range spans {
		if match(s) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans match, want 1:\n%s", len(found), otlptest.Describe(spans))
	}
	return found[0]
}

func wantAttrs(t *testing.T, s otlptest.Span, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if s.Attrs[k] != v {
			t.Errorf("%s: %s = %q, want %q", s.Name, k, s.Attrs[k], v)
		}
	}
}

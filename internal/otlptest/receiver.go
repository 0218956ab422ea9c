// Package otlptest is an OTLP/HTTP trace receiver for tests: the service
// exports to it over the wire as it would to a collector, and the test
// reads back the spans it decoded.
package otlptest

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	collector "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	common "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Span is one exported span, its ids in hex as in a traceparent.
type Span struct {
	Service  string
	TraceID  string
	SpanID   string
	ParentID string
	Name     string
	Kind     tracepb.Span_SpanKind
	Attrs    map[string]string
	// Events holds each span event's name and attributes.
	Events []Event
	Links  []Link
	Status tracepb.Status_StatusCode
}

// Event is a span event.
type Event struct {
	Name  string
	Attrs map[string]string
}

// Link is a span's link to another span.
type Link struct{ TraceID, SpanID string }

// Receiver accepts OTLP/HTTP protobuf exports at /v1/traces.
type Receiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	spans []Span
}

// Start runs a receiver until t ends.
func Start(t testing.TB) *Receiver {
	r := &Receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(r.export))
	t.Cleanup(r.srv.Close)
	return r
}

// Endpoint is the base URL, for OTEL_EXPORTER_OTLP_ENDPOINT.
func (r *Receiver) Endpoint() string { return r.srv.URL }

func (r *Receiver) export(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "OTLP/HTTP protobuf traces only", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(req.Body)
	var msg collector.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(body, &msg)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var got []Span
	for _, rs := range msg.GetResourceSpans() {
		service := attrs(rs.GetResource().GetAttributes())["service.name"]
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				got = append(got, convert(service, s))
			}
		}
	}
	r.mu.Lock()
	r.spans = append(r.spans, got...)
	r.mu.Unlock()
	out, _ := proto.Marshal(&collector.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func convert(service string, s *tracepb.Span) Span {
	sp := Span{
		Service: service, TraceID: hex.EncodeToString(s.GetTraceId()), SpanID: hex.EncodeToString(s.GetSpanId()),
		ParentID: hex.EncodeToString(s.GetParentSpanId()), Name: s.GetName(), Kind: s.GetKind(),
		Attrs: attrs(s.GetAttributes()), Status: s.GetStatus().GetCode(),
	}
	for _, e := range s.GetEvents() {
		sp.Events = append(sp.Events, Event{Name: e.GetName(), Attrs: attrs(e.GetAttributes())})
	}
	for _, l := range s.GetLinks() {
		sp.Links = append(sp.Links, Link{TraceID: hex.EncodeToString(l.GetTraceId()), SpanID: hex.EncodeToString(l.GetSpanId())})
	}
	return sp
}

// attrs renders every value as text: the tests compare and search them.
func attrs(kvs []*common.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = value(kv.GetValue())
	}
	return m
}

func value(v *common.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *common.AnyValue_StringValue:
		return x.StringValue
	case *common.AnyValue_IntValue:
		return fmt.Sprint(x.IntValue)
	case *common.AnyValue_BoolValue:
		return fmt.Sprint(x.BoolValue)
	case *common.AnyValue_DoubleValue:
		return fmt.Sprint(x.DoubleValue)
	case *common.AnyValue_BytesValue:
		return string(x.BytesValue)
	case *common.AnyValue_ArrayValue:
		var out string
		for _, e := range x.ArrayValue.GetValues() {
			out += value(e) + ","
		}
		return out
	}
	return v.String()
}

// Spans returns what was exported so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// WaitFor returns the spans once match holds for them, or fails t after
// timeout: the exporter sends in batches, seconds apart.
func (r *Receiver) WaitFor(t testing.TB, timeout time.Duration, match func([]Span) bool) []Span {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		spans := r.Spans()
		if match(spans) {
			return spans
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver did not get the spans wanted within %s; it has %d:\n%s", timeout, len(spans), Describe(spans))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Describe lists spans one a line, for a failure's message.
func Describe(spans []Span) string {
	var out string
	for _, s := range spans {
		out += fmt.Sprintf("%s %s trace=%s span=%s parent=%s links=%v attrs=%v\n", s.Kind, s.Name, s.TraceID, s.SpanID, s.ParentID, s.Links, s.Attrs)
	}
	return out
}

package sinktest

import (
	"bytes"
	"slices"
	"testing"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// testHeaders: what a consumer reads of an event with a key, one without,
// and a dead letter: the body as published, the key, and exactly the
// binding's headers and the message's own, each once.
func testHeaders(t *testing.T, h Harness) {
	b := h.Binding()
	s := h.NewSink(t)
	defer closeSink(t, s)

	keyed := event(h.Prefix()+".applicant_applied", "id-keyed", "applicant-42", 0)
	keyed.Headers = []sinks.Header{
		{Name: "traceparent", Value: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
		{Name: "tracestate", Value: "congo=t61rcWkgMzE"},
		{Name: "hirebridge-validated", Value: "false"},
	}
	keyed.Event.DataSchema = "https://hirebridge.dev/schemas/applicant_applied.json"
	unkeyed := event(h.Prefix()+".company_updated", "id-unkeyed", "", 1)
	dead := &sinks.Message{
		Topic: events.DeadLetterSubject(h.Prefix()),
		ID:    "id-dead",
		Body:  []byte("not json {"),
		Headers: []sinks.Header{
			{Name: "hirebridge-reason", Value: "invalid_json"},
			{Name: "hirebridge-detail", Value: "body is not JSON"},
		},
	}
	for _, m := range []*sinks.Message{keyed, unkeyed, dead} {
		if ack := publish(t, s, m); ack.Duplicate {
			t.Errorf("%s: first publish answered as a duplicate", m.ID)
		}
	}

	ce := func(attr string) string { return b.AttributePrefix + attr }
	want := map[*sinks.Message]map[string]string{
		keyed: {
			ce("specversion"): "1.0", ce("id"): keyed.ID, ce("source"): source,
			ce("type"): "com.hirempire.applicant_applied", ce("time"): eventTime,
			ce("subject"): "applicant-42", "content-type": "application/json",
			ce("dataschema"): "https://hirebridge.dev/schemas/applicant_applied.json",
			"traceparent":    keyed.Headers[0].Value, "tracestate": keyed.Headers[1].Value,
			"hirebridge-validated": "false",
		},
		unkeyed: {
			ce("specversion"): "1.0", ce("id"): unkeyed.ID, ce("source"): source,
			ce("type"): "com.hirempire.company_updated", ce("time"): eventTime,
			"content-type": "application/json",
		},
		dead: {"hirebridge-reason": "invalid_json", "hirebridge-detail": "body is not JSON"},
	}
	if b.DataContentTypeAttribute {
		want[keyed][ce("datacontenttype")] = "application/json"
		want[unkeyed][ce("datacontenttype")] = "application/json"
	}
	for m, headers := range want {
		recs := h.Records(t, m.Topic)
		if len(recs) != 1 {
			t.Errorf("%s: %d records, want 1", m.Topic, len(recs))
			continue
		}
		r := recs[0]
		if r.Topic != m.Topic {
			t.Errorf("record topic %q, want %q", r.Topic, m.Topic)
		}
		if !bytes.Equal(r.Body, m.Body) {
			t.Errorf("%s: body %q, want %q", m.Topic, r.Body, m.Body)
		}
		if b.Keys && r.Key != m.Key {
			t.Errorf("%s: key %q, want %q", m.Topic, r.Key, m.Key)
		}
		checkHeaders(t, m.Topic, r, headers, b.BrokerHeaders)
	}
}

// checkHeaders wants exactly the headers in want, each once, apart from the
// broker's own.
func checkHeaders(t *testing.T, topic string, r Record, want map[string]string, ignore []string) {
	t.Helper()
	seen := map[string]int{}
	for _, hd := range r.Headers {
		if slices.Contains(ignore, hd.Name) {
			continue
		}
		seen[hd.Name]++
		w, ok := want[hd.Name]
		switch {
		case !ok:
			t.Errorf("%s: unexpected header %s=%q", topic, hd.Name, hd.Value)
		case hd.Value != w:
			t.Errorf("%s: header %s=%q, want %q", topic, hd.Name, hd.Value, w)
		}
	}
	for name := range want {
		if seen[name] != 1 {
			t.Errorf("%s: header %s present %d times, want once", topic, name, seen[name])
		}
	}
}

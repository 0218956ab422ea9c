package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"

	"github.com/hirebridge/hirebridge/schema"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// A consumer using the official CloudEvents Go SDK reads every event the
// bridge publishes, on both brokers, as a valid CloudEvent with the
// contract's attributes, and a dead letter as no CloudEvent at all.

// sdkWant is what the SDK must read from one published event.
type sdkWant struct {
	name, subject, time, dataSchema string
	body                            map[string]any
	seen                            int
}

// sdkUndocumented is an event of a type Hirempire does not document: it is
// published unvalidated, without a dataschema.
var sdkUndocumented = []byte(`{"event":"Candidate.Hired","timestamp":"2026-01-30T01:14:56.395+01:00","candidate":{"id":"cand 7"}}`)

// postForSDK sends every documented example, the applicant example again
// with an id only percent-encoding carries intact on NATS, an undocumented
// type and a rejected body; it returns what the SDK must read, by event id.
func postForSDK(t *testing.T, svc *service) map[string]*sdkWant {
	t.Helper()
	bodies := examples(t)
	odd := decodeObject(t, bodies["applicant_applied"])
	odd["applicant"].(map[string]any)["id"] = "app 1 é %41"
	oddBody, err := json.Marshal(odd)
	if err != nil {
		t.Fatal(err)
	}
	bodies["applicant_applied, id app 1 é %41"] = oddBody
	bodies["undocumented"] = sdkUndocumented

	want := map[string]*sdkWant{}
	for label, body := range bodies {
		r := mustPost(t, svc.webhookURL(), body)
		if r.Status != http.StatusOK || r.Body.Status != "published" {
			t.Fatalf("%s: %d %s", label, r.Status, r.Raw)
		}
		w := &sdkWant{body: wantBody(t, body)}
		w.name = w.body["event"].(string)
		w.time = w.body["timestamp"].(string)
		if id, ok := schema.SchemaID(w.name); ok {
			w.subject, w.dataSchema = wantKey(t, w.body), id
		} else {
			w.subject = "cand 7"
		}
		want[r.Body.ID] = w
	}
	if r := mustPost(t, svc.webhookURL(), []byte(`{"event":"job_added","timestamp":"yesterday"}`)); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad timestamp: %d %s", r.Status, r.Raw)
	}
	return want
}

func TestCloudEventsSDKReadsNATS(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	svc := startService(t, baseEnv(t, broker.URL()))
	want := postForSDK(t, svc)

	deadLetters := 0
	for _, m := range readStream(t, broker.URL(), "HIREMPIRE") {
		var names []string
		for name := range m.Header {
			names = append(names, name)
		}
		if m.Subject == "hirempire.dlq" {
			deadLetters++
			checkNotCloudEvent(t, m.Subject, names, natsCEMessage(m.Header, m.Data))
			continue
		}
		checkSDKEvent(t, m.Subject, natsCEMessage(m.Header, m.Data), m.Data, want)
	}
	checkAllRead(t, want, deadLetters)
}

func TestCloudEventsSDKReadsKafka(t *testing.T) {
	t.Parallel()
	broker := kafkatest.Start(t)
	env := baseEnv(t, "")
	delete(env, "HIREBRIDGE_NATS_URL")
	env["HIREBRIDGE_SINK"] = "kafka"
	env["HIREBRIDGE_KAFKA_BROKERS"] = broker.Addr()
	svc := startService(t, env)
	want := postForSDK(t, svc)

	topics := map[string]bool{}
	for _, w := range want {
		topics["hirempire."+w.name] = true
	}
	deadLetters := 0
	for topic := range topics {
		for _, rec := range broker.Records(t, topic) {
			hs := make([]ceHeader, 0, len(rec.Headers))
			for _, h := range rec.Headers {
				hs = append(hs, ceHeader{h.Key, h.Value})
			}
			checkSDKEvent(t, topic, kafkaCEMessage(hs, rec.Value), rec.Value, want)
		}
	}
	for _, rec := range broker.Records(t, "hirempire.dlq") {
		deadLetters++
		var names []string
		hs := make([]ceHeader, 0, len(rec.Headers))
		for _, h := range rec.Headers {
			names = append(names, h.Key)
			hs = append(hs, ceHeader{h.Key, h.Value})
		}
		checkNotCloudEvent(t, "hirempire.dlq", names, kafkaCEMessage(hs, rec.Value))
	}
	checkAllRead(t, want, deadLetters)
}

// checkSDKEvent reads one message with the SDK and holds it to the
// contract.
func checkSDKEvent(t *testing.T, topic string, msg binding.Message, body []byte, want map[string]*sdkWant) {
	t.Helper()
	ev, err := binding.ToEvent(context.Background(), msg)
	if err != nil {
		t.Errorf("%s: the SDK reads no event: %v", topic, err)
		return
	}
	if err := ev.Validate(); err != nil {
		t.Errorf("%s: not a valid CloudEvent: %v", topic, err)
	}
	w, ok := want[ev.ID()]
	if !ok {
		t.Errorf("%s: id %q is none of the events sent", topic, ev.ID())
		return
	}
	w.seen++
	wantTime, err := time.Parse(time.RFC3339Nano, w.time)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{
		"specversion":     ev.SpecVersion(),
		"type":            ev.Type(),
		"source":          ev.Source(),
		"subject":         ev.Subject(),
		"dataschema":      ev.DataSchema(),
		"datacontenttype": ev.DataContentType(),
		"time":            ev.Time().Equal(wantTime) && ev.Time().Location() == time.UTC,
		"extensions":      len(ev.Extensions()),
		"topic":           topic,
	}
	expected := map[string]any{
		"specversion":     "1.0",
		"type":            "com.hirempire." + w.name,
		"source":          "https://app.hirempire.com",
		"subject":         w.subject,
		"dataschema":      w.dataSchema,
		"datacontenttype": "application/json",
		"time":            true,
		"extensions":      0,
		"topic":           "hirempire." + w.name,
	}
	if !reflect.DeepEqual(got, expected) {
		t.Errorf("%s %s: the SDK reads\n%v\nwant\n%v", topic, ev.ID(), got, expected)
	}
	if !bytes.Equal(ev.Data(), body) {
		t.Errorf("%s %s: data %q, the body is %q", topic, ev.ID(), ev.Data(), body)
	}
	if data := decodeObject(t, ev.Data()); !reflect.DeepEqual(data, w.body) {
		t.Errorf("%s %s: data %v, want %v", topic, ev.ID(), data, w.body)
	}
}

// checkNotCloudEvent: a dead letter carries no ce- header and the SDK
// refuses it, so SDK consumers must skip the dead letters' subject.
func checkNotCloudEvent(t *testing.T, topic string, headers []string, msg binding.Message) {
	t.Helper()
	sort.Strings(headers)
	for _, h := range headers {
		if l := strings.ToLower(h); strings.HasPrefix(l, "ce-") || strings.HasPrefix(l, "ce_") {
			t.Errorf("%s: a dead letter carries the CloudEvents header %s", topic, h)
		}
	}
	if !strings.Contains(strings.Join(headers, " "), "hirebridge-reason") {
		t.Errorf("%s: a dead letter without hirebridge-reason: %v", topic, headers)
	}
	if ev, err := binding.ToEvent(context.Background(), msg); !errors.Is(err, binding.ErrUnknownEncoding) {
		t.Errorf("%s: the SDK reads a dead letter as %v, %v; want %v", topic, ev, err, binding.ErrUnknownEncoding)
	}
}

func checkAllRead(t *testing.T, want map[string]*sdkWant, deadLetters int) {
	t.Helper()
	for id, w := range want {
		if w.seen != 1 {
			t.Errorf("%s (%s): read %d times, want once", w.name, id, w.seen)
		}
	}
	if deadLetters != 1 {
		t.Errorf("%d dead letters, want the one rejected body", deadLetters)
	}
}

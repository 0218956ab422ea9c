package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/schema"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// The binary end to end on Kafka: every documented example goes in over
// HTTP and comes back from its own topic, with the entity key as the record
// key and the CloudEvents Kafka headers; the same event again is answered as
// a duplicate without a second record.
func TestBinaryKafkaEndToEnd(t *testing.T) {
	slow(t, "the built binary end to end on Kafka")
	t.Parallel()
	broker := kafkatest.Start(t)
	env := baseEnv(t, "")
	delete(env, "HIREBRIDGE_NATS_URL")
	env["HIREBRIDGE_SINK"] = "kafka"
	env["HIREBRIDGE_KAFKA_BROKERS"] = broker.Addr()
	env["HIREBRIDGE_KAFKA_PARTITIONS"] = "2"

	proc := startBinary(t, env)
	t.Cleanup(func() { proc.stop(t) })
	svc, logs := proc.svc, proc.logs

	for name, body := range examples(t) {
		r := mustPost(t, svc.webhookURL(), body)
		if r.Status != http.StatusOK || r.Body.Status != "published" {
			t.Fatalf("%s: %d %s; logs:\n%s", name, r.Status, r.Raw, logs.String())
		}
		again := mustPost(t, svc.webhookURL(), body)
		if again.Status != http.StatusOK || again.Body.Status != "duplicate" || again.Body.ID != r.Body.ID {
			t.Errorf("%s again: %d %s, want duplicate of %s", name, again.Status, again.Raw, r.Body.ID)
		}

		topic := "hirempire." + name
		recs := broker.Records(t, topic)
		if len(recs) != 1 {
			t.Fatalf("%s: %d records on %s, want 1", name, len(recs), topic)
		}
		rec := recs[0]
		ev := schema.Ingest(body, schema.Options{}).Event
		if ev == nil {
			t.Fatalf("%s: the example does not ingest", name)
		}
		if string(rec.Value) != string(ev.Body) {
			t.Errorf("%s: value\n%s\nwant\n%s", name, rec.Value, ev.Body)
		}
		if string(rec.Key) != ev.Key || ev.Key == ev.ID {
			t.Errorf("%s: key %q, want the entity key %q", name, rec.Key, ev.Key)
		}
		headers := map[string]string{}
		for _, h := range rec.Headers {
			headers[h.Key] = h.Value
		}
		want := map[string]string{
			"ce_specversion": "1.0",
			"ce_id":          r.Body.ID,
			"ce_source":      "https://app.hirempire.com",
			"ce_type":        "com.hirempire." + name,
			"ce_time":        ev.Time,
			"ce_subject":     ev.Key,
			"content-type":   "application/json",
		}
		for k, v := range want {
			if headers[k] != v {
				t.Errorf("%s: header %s = %q, want %q", name, k, headers[k], v)
			}
		}
		if _, ok := headers["hirebridge-validated"]; ok {
			t.Errorf("%s: a documented type is marked unvalidated", name)
		}
	}

	// A rejected body lands on the dead-letter topic as it was sent.
	bad := []byte(`{"event":"job_added","timestamp":"yesterday"}`)
	if r := mustPost(t, svc.webhookURL(), bad); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad timestamp: %d %s", r.Status, r.Raw)
	}
	dlq := broker.Records(t, "hirempire.dlq")
	if len(dlq) != 1 || string(dlq[0].Value) != string(bad) {
		t.Fatalf("dead letters %+v, want the rejected body once", dlq)
	}
	var reason string
	for _, h := range dlq[0].Headers {
		if h.Key == "hirebridge-reason" {
			reason = h.Value
		}
	}
	if reason != string(schema.ReasonBadTimestamp) {
		t.Errorf("dead letter reason %q", reason)
	}

	// Metrics name the sink.
	code, metrics := get(svc.admin + "/metrics")
	if code != http.StatusOK || !strings.Contains(metrics, `hirebridge_publish_duration_seconds_count{sink="kafka"}`) {
		t.Errorf("metrics %d lack the kafka publish histogram", code)
	}
	var ready map[string]string
	_, body := get(svc.admin + "/readyz")
	if err := json.Unmarshal([]byte(body), &ready); err != nil || ready["status"] != "ready" {
		t.Errorf("readyz %q", body)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// decodeObject decodes JSON keeping numbers as their text, so a rounded
// number shows as a difference.
func decodeObject(t testing.TB, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, b)
	}
	return m
}

// normalizedTime is the contract's form: UTC, exactly three fraction digits.
func normalizedTime(t testing.TB, v any) string {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, v.(string))
	if err != nil {
		t.Fatalf("example timestamp %v: %v", v, err)
	}
	return ts.UTC().Format("2006-01-02T15:04:05.000Z")
}

// wantBody applies the contract's normalization rules to a sender's payload,
// written out here rather than borrowed from the schema package, so both
// have to agree with the contract.
func wantBody(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	m := decodeObject(t, raw)
	m["event"] = strings.ToLower(strings.TrimSpace(m["event"].(string)))
	m["timestamp"] = normalizedTime(t, m["timestamp"])
	if meeting, ok := m["meeting"].(map[string]any); ok && meeting["scheduled_at"] != nil {
		meeting["scheduled_at"] = normalizedTime(t, meeting["scheduled_at"])
	}
	if company, ok := m["company"].(map[string]any); ok {
		if name, has := company["name"]; (!has || name == nil) && company["company"] != nil {
			company["name"] = company["company"]
		}
	}
	return m
}

// wantKey is the contract's entity key for the documented types.
func wantKey(t testing.TB, m map[string]any) string {
	t.Helper()
	member := func(obj, field string) string {
		o, _ := m[obj].(map[string]any)
		s, _ := o[field].(string)
		return s
	}
	name := m["event"].(string)
	switch {
	case strings.HasPrefix(name, "job_"):
		return member("job", "id")
	case name == "applicant_applied", name == "cv_upload_completed", name == "meeting_booked":
		if id := member("applicant", "id"); id != "" {
			return id
		}
		return member("meeting", "id")
	}
	t.Fatalf("no key rule for %s", name)
	return ""
}

func TestServeDocumentedExamples(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	svc := startService(t, baseEnv(t, broker.URL()))
	ids := postExamples(t, svc, broker.URL(), "HIREMPIRE", "hirempire")

	// Logs carry event types and ids, never what the events say about
	// people.
	logs := svc.logs.String()
	for _, personal := range []string{"john.doe@example.com", "John Doe", "+14155551234", "Jane Smith"} {
		if strings.Contains(logs, personal) {
			t.Errorf("the logs contain %q", personal)
		}
	}
	if !strings.Contains(logs, ids["job_added"]) {
		t.Error("no log line names the event id")
	}
}

// postExamples sends every documented example, expects each to be
// published, and checks what the stream holds: one message per event, on
// <prefix>.<event>, with the normalized body and the CloudEvents headers.
// It returns the event ids by example name.
func postExamples(t *testing.T, svc *service, natsURL, stream, prefix string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for name, body := range examples(t) {
		r := mustPost(t, svc.webhookURL(), body)
		if r.Status != http.StatusOK || r.Body.Status != "published" || r.Body.ID == "" {
			t.Fatalf("%s: %d %s, want 200 published with an id", name, r.Status, r.Raw)
		}
		if got := r.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("%s: response Content-Type %q", name, got)
		}
		ids[name] = r.Body.ID
	}

	stored, count := byID(readStream(t, natsURL, stream))
	if len(stored) != len(ids) {
		t.Errorf("stream holds %d events, want %d", len(stored), len(ids))
	}
	for name, id := range ids {
		m, ok := stored[id]
		if !ok {
			t.Errorf("%s (%s) acknowledged but not in the stream", name, id)
			continue
		}
		if count[id] != 1 {
			t.Errorf("%s stored %d times", name, count[id])
		}
		want := wantBody(t, example(t, name+".json"))
		if got := decodeObject(t, m.Data); !reflect.DeepEqual(got, want) {
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(want)
			t.Errorf("%s body:\n got %s\nwant %s", name, gotJSON, wantJSON)
		}
		if m.Subject != prefix+"."+name {
			t.Errorf("%s subject = %q, want %s.%s", name, m.Subject, prefix, name)
		}
		headers := map[string]string{
			"ce-specversion": "1.0",
			"ce-id":          id,
			"ce-source":      "https://app.hirempire.com",
			"ce-type":        "com.hirempire." + name,
			"ce-time":        want["timestamp"].(string),
			"ce-subject":     wantKey(t, want),
			"content-type":   "application/json",
			nats.MsgIdHdr:    id,
		}
		for h, v := range headers {
			if got := m.Header.Get(h); got != v {
				t.Errorf("%s header %s = %q, want %q", name, h, got, v)
			}
		}
		if v := m.Header.Get("hirebridge-validated"); v != "" {
			t.Errorf("%s is documented but marked hirebridge-validated: %s", name, v)
		}
	}
	return ids
}

func TestServeDuplicates(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	svc := startService(t, baseEnv(t, broker.URL()))
	body := example(t, "meeting_booked.json")

	first := mustPost(t, svc.webhookURL(), body)
	if first.Status != http.StatusOK || first.Body.Status != "published" {
		t.Fatalf("first: %d %s", first.Status, first.Raw)
	}
	// The same event re-serialized, with other key order and whitespace,
	// and the event name in other case, is the same event.
	doc := decodeObject(t, body)
	doc["event"] = "  Meeting_Booked "
	resent, err := json.MarshalIndent(doc, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range [][]byte{body, resent} {
		r := mustPost(t, svc.webhookURL(), b)
		if r.Status != http.StatusOK || r.Body.Status != "duplicate" || r.Body.ID != first.Body.ID {
			t.Errorf("resend %d: %d %s, want 200 duplicate %s", i, r.Status, r.Raw, first.Body.ID)
		}
	}
	// Any change of content is another event.
	doc["meeting"].(map[string]any)["duration_minutes"] = json.Number("45")
	changed, _ := json.Marshal(doc)
	r := mustPost(t, svc.webhookURL(), changed)
	if r.Status != http.StatusOK || r.Body.Status != "published" || r.Body.ID == first.Body.ID {
		t.Errorf("changed event: %d %s, want published with a new id", r.Status, r.Raw)
	}

	if n := len(readStream(t, broker.URL(), "HIREMPIRE")); n != 2 {
		t.Errorf("stream holds %d messages, want 2", n)
	}
}

func TestServeChallengeAndRejections(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	svc := startService(t, baseEnv(t, broker.URL()))

	r := mustPost(t, svc.webhookURL(), example(t, "challenge.json"))
	if r.Status != http.StatusOK || r.Raw != `{"challenge":"a1b2c3d4e5f6g7h8i9j0"}` {
		t.Errorf("challenge: %d %s", r.Status, r.Raw)
	}
	r = mustPost(t, svc.web+"/webhooks/hirempire/wrong-token-0123456789", example(t, "job_added.json"))
	if r.Status != http.StatusUnauthorized || r.Body.Error == "" {
		t.Errorf("wrong token: %d %s", r.Status, r.Raw)
	}
	req, _ := http.NewRequest(http.MethodPost, svc.web+"/webhooks/hirempire", strings.NewReader(`{"event":"Job_Archived","timestamp":1769732096395}`))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("unknown type with a bearer token: %d", resp.StatusCode)
	}
	r = mustPost(t, svc.webhookURL()+"?x=1", []byte(`{"event":"job_added"}`))
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body.Detail, "timestamp") {
		t.Errorf("missing timestamp: %d %s", r.Status, r.Raw)
	}

	msgs := readStream(t, broker.URL(), "HIREMPIRE")
	if len(msgs) != 2 {
		t.Fatalf("stream holds %d messages, want the unknown event and one dead letter", len(msgs))
	}
	for _, m := range msgs {
		switch m.Subject {
		case "hirempire.job_archived":
			if m.Header.Get("hirebridge-validated") != "false" || m.Header.Get("ce-time") != "2026-01-30T00:14:56.395Z" ||
				m.Header.Get("traceparent") != "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" {
				t.Errorf("unknown event headers: %v", m.Header)
			}
		case "hirempire.dlq":
			if m.Header.Get("hirebridge-reason") == "" || string(m.Data) != `{"event":"job_added"}` {
				t.Errorf("dead letter: %v %s", m.Header, m.Data)
			}
		default:
			t.Errorf("unexpected message on %s", m.Subject)
		}
	}
	if status, body := get(svc.admin + "/metrics"); status != http.StatusOK || !strings.Contains(body, "hirebridge_publish_duration_seconds") {
		t.Errorf("/metrics: %d", status)
	}
}

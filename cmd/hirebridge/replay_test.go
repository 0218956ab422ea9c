package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"maps"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/internal/datadir"
	"github.com/hirebridge/hirebridge/internal/replay"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// Dead letters for replay: an undocumented type, which strict mode rejects
// and replay with strict mode off publishes; and a timestamp no setting
// makes valid, which stays a dead letter.
const (
	replayTrace   = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	unknownFirst  = `{"event":"candidate_rated","timestamp":"2025-01-02T03:04:05Z","candidate":{"id":"cand 1"},"rating":4}`
	unknownSecond = `{"event":"candidate_rated","timestamp":"2025-01-02T04:04:05Z","candidate":{"id":"cand-2"},"rating":5}`
	badTimestamp  = `{"event":"job_added","timestamp":"yesterday","job":{"id":"j1"}}`
)

// postRejected posts body, which must be rejected with reason, with a
// trace context on the request.
func postRejected(t *testing.T, svc *service, body, reason string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, svc.webhookURL(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Traceparent", replayTrace)
	req.Header.Set("Tracestate", "vendor=1")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct{ Error string }
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Error != reason {
		t.Fatalf("POST %s: %d %q, want the reason %s", body, resp.StatusCode, r.Error, reason)
	}
}

// runReplay runs `hirebridge replay -json` in process and decodes its
// summary.
func runReplay(t *testing.T, env map[string]string, args ...string) replay.Summary {
	t.Helper()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, append([]string{"replay", "-json"}, args...), environ(env), &out); err != nil {
		t.Fatalf("replay %v: %v\n%s", args, err, out.String())
	}
	return decodeSummary(t, out.Bytes())
}

func decodeSummary(t *testing.T, b []byte) replay.Summary {
	t.Helper()
	var sum replay.Summary
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatalf("replay printed %q: %v", b, err)
	}
	return sum
}

// wantOutcomes fails unless sum counts exactly want.
func wantOutcomes(t *testing.T, what string, sum replay.Summary, read int, want map[string]int) {
	t.Helper()
	if sum.Read != read || !maps.Equal(sum.Outcomes, want) {
		t.Errorf("%s: read %d, outcomes %v; want read %d, outcomes %v\n%+v", what, sum.Read, sum.Outcomes, read, want, sum.DeadLetters)
	}
}

func withEnv(env map[string]string, kv ...string) map[string]string {
	out := maps.Clone(env)
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// Replay on NATS: dry run, -reason, -since, then everything; the replayed
// event is published as the handler would have, and a second run, past
// JetStream's duplicate window, publishes nothing again.
func TestReplayNATS(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	env := baseEnv(t, broker.URL())
	env["HIREBRIDGE_STRICT"] = "true"
	// Short, so the second run below cannot lean on JetStream's dedup.
	env["HIREBRIDGE_NATS_DUPLICATE_WINDOW"] = "200ms"
	svc := startService(t, env)
	postRejected(t, svc, unknownFirst, "unknown_event_type")
	postRejected(t, svc, badTimestamp, "invalid_timestamp")
	between := time.Now()
	// The next dead letter is stored after between, even in the
	// milliseconds Kafka timestamps records in.
	time.Sleep(10 * time.Millisecond)
	postRejected(t, svc, unknownSecond, "unknown_event_type")
	rated := func() []storedMsg {
		var out []storedMsg
		for _, m := range readStream(t, broker.URL(), "HIREMPIRE") {
			if m.Subject == "hirempire.candidate_rated" {
				out = append(out, m)
			}
		}
		return out
	}

	lax := withEnv(env, "HIREBRIDGE_STRICT", "false")
	sum := runReplay(t, lax, "-dry-run")
	wantOutcomes(t, "dry run", sum, 3, map[string]int{"would_publish": 2, "rejected": 1})
	if n := len(rated()); n != 0 {
		t.Fatalf("the dry run published %d events", n)
	}
	// Strict as the service: nothing passes yet.
	wantOutcomes(t, "strict", runReplay(t, env), 3, map[string]int{"rejected": 3})

	sum = runReplay(t, lax, "-reason", "invalid_timestamp")
	wantOutcomes(t, "-reason", sum, 3, map[string]int{"rejected": 1})
	if sum.Matched != 1 || sum.StillRejected["invalid_timestamp"] != 1 || sum.Reasons["invalid_timestamp"]["rejected"] != 1 {
		t.Errorf("-reason summary: %+v", sum)
	}

	sum = runReplay(t, lax, "-since", between.Format(time.RFC3339Nano))
	wantOutcomes(t, "-since", sum, 1, map[string]int{"published": 1})
	if got := rated(); len(got) != 1 || !strings.Contains(string(got[0].Data), "cand-2") {
		t.Fatalf("-since published %d events: %v", len(got), got)
	}

	sum = runReplay(t, lax)
	wantOutcomes(t, "all", sum, 3, map[string]int{"published": 1, "already_published": 1, "rejected": 1})
	var first replay.Result
	for _, dl := range sum.DeadLetters {
		if dl.Outcome == "published" {
			first = dl
		}
	}
	got := rated()
	if len(got) != 2 {
		t.Fatalf("%d events on hirempire.candidate_rated, want 2", len(got))
	}
	// As the handler publishes an accepted event: the CloudEvents headers,
	// the sender's trace context, the mark of an undocumented type, the
	// normalized body.
	m := got[1] // after the one -since published
	for k, v := range map[string]string{
		"ce-id":                first.EventID,
		"Nats-Msg-Id":          first.EventID,
		"ce-type":              "com.hirempire.candidate_rated",
		"ce-source":            "https://app.hirempire.com",
		"ce-time":              "2025-01-02T03:04:05.000Z",
		"ce-subject":           "cand%201",
		"ce-datacontenttype":   "application/json",
		"content-type":         "application/json",
		"traceparent":          replayTrace,
		"tracestate":           "vendor=1",
		"hirebridge-validated": "false",
	} {
		if m.Header.Get(k) != v {
			t.Errorf("replayed header %s = %q, want %q", k, m.Header.Get(k), v)
		}
	}
	if m.Header.Get("hirebridge-reason") != "" || first.ID == "" || first.Reason != "unknown_event_type" {
		t.Errorf("replayed message %v, result %+v", m.Header, first)
	}
	if want := `{"candidate":{"id":"cand 1"},"event":"candidate_rated","rating":4,"timestamp":"2025-01-02T03:04:05.000Z"}`; string(m.Data) != want {
		t.Errorf("replayed body %s, want %s", m.Data, want)
	}

	waitPastDuplicateWindow(t, broker.URL(), "HIREMPIRE")
	wantOutcomes(t, "again", runReplay(t, lax), 3, map[string]int{"already_published": 2, "rejected": 1})
	if n := len(rated()); n != 2 {
		t.Errorf("the second run left %d events, want 2", n)
	}
	// The dead letters stay.
	dlq := 0
	for _, m := range readStream(t, broker.URL(), "HIREMPIRE") {
		if m.Subject == "hirempire.dlq" {
			dlq++
		}
	}
	if dlq != 3 {
		t.Errorf("%d dead letters left, want 3", dlq)
	}

	var text bytes.Buffer
	if err := run(context.Background(), []string{"replay", "-dry-run"}, environ(lax), &text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"hirempire.dlq: 3 dead letters read", "dry run", "already_published", "unknown_event_type", "still rejected, now as: invalid_timestamp 1"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, text.String())
		}
	}

	var usage bytes.Buffer
	if err := run(context.Background(), []string{"help"}, nil, &usage); err != nil || !strings.Contains(usage.String(), "hirebridge replay [-dry-run]") {
		t.Errorf("help does not list replay (%v):\n%s", err, usage.String())
	}
	for _, bad := range [][]string{{"-since", "yesterday"}, {"-since", "-1h"}, {"extra"}} {
		if err := run(context.Background(), append([]string{"replay"}, bad...), environ(lax), &text); err == nil {
			t.Errorf("replay %v: no error", bad)
		}
	}
}

// waitPastDuplicateWindow waits until JetStream has forgotten every message
// id the stream stored so far, rather than sleeping for its window and
// hoping: it stores a probe with an id of its own, on a subject of its own,
// and sends it again until the stream takes it as new. JetStream forgets
// ids in the order it stored them, so by then it has forgotten every one
// stored before the probe.
func waitPastDuplicateWindow(t *testing.T, url, stream string) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	id := "window-probe-" + rand.Text()
	probe := func() bool {
		ack, err := js.Publish(ctx, "hirempire.window_probe", nil, jetstream.WithMsgID(id), jetstream.WithExpectStream(stream))
		if err != nil {
			t.Fatalf("probing the duplicate window: %v", err)
		}
		return !ack.Duplicate
	}
	if !probe() {
		t.Fatalf("the probe %s was a duplicate at once", id)
	}
	waitFor(t, 20*time.Second, "JetStream's duplicate window to pass", probe)
}

// Replay on Kafka: the same, where only the topic itself can tell what was
// published before (the sink's duplicate window lives in one process).
func TestReplayKafka(t *testing.T) {
	t.Parallel()
	broker := kafkatest.Start(t)
	env := baseEnv(t, "")
	delete(env, "HIREBRIDGE_NATS_URL")
	env["HIREBRIDGE_SINK"] = "kafka"
	env["HIREBRIDGE_KAFKA_BROKERS"] = broker.Addr()
	env["HIREBRIDGE_STRICT"] = "true"
	svc := startService(t, env)
	postRejected(t, svc, unknownFirst, "unknown_event_type")
	postRejected(t, svc, badTimestamp, "invalid_timestamp")
	between := time.Now()
	// The next dead letter is stored after between, even in the
	// milliseconds Kafka timestamps records in.
	time.Sleep(10 * time.Millisecond)
	postRejected(t, svc, unknownSecond, "unknown_event_type")

	lax := withEnv(env, "HIREBRIDGE_STRICT", "false")
	wantOutcomes(t, "dry run", runReplay(t, lax, "-dry-run"), 3, map[string]int{"would_publish": 2, "rejected": 1})
	wantOutcomes(t, "-since", runReplay(t, lax, "-since", between.Format(time.RFC3339Nano)), 1, map[string]int{"published": 1})
	wantOutcomes(t, "all", runReplay(t, lax), 3, map[string]int{"published": 1, "already_published": 1, "rejected": 1})
	wantOutcomes(t, "again", runReplay(t, lax), 3, map[string]int{"already_published": 2, "rejected": 1})

	recs := broker.Records(t, "hirempire.candidate_rated")
	if len(recs) != 2 {
		t.Fatalf("%d records on hirempire.candidate_rated, want 2", len(recs))
	}
	headers := map[string]string{}
	for _, rec := range recs {
		if string(rec.Key) != "cand 1" {
			continue
		}
		for _, h := range rec.Headers {
			headers[h.Key] = h.Value
		}
	}
	for k, v := range map[string]string{
		"ce_type": "com.hirempire.candidate_rated", "ce_subject": "cand 1", "traceparent": replayTrace,
		"hirebridge-validated": "false", "content-type": "application/json",
	} {
		if headers[k] != v {
			t.Errorf("replayed record header %s = %q, want %q", k, headers[k], v)
		}
	}
	if n := len(broker.Records(t, "hirempire.dlq")); n != 3 {
		t.Errorf("%d dead letters left, want 3", n)
	}
}

// With the embedded default, replay works while the service runs (through
// its server) and while it is stopped (taking the data directory itself).
func TestBinaryReplayEmbedded(t *testing.T) {
	slow(t, "replay by the built binary on the embedded server, running and stopped")
	t.Parallel()
	dataDir := t.TempDir()
	env := embeddedEnv(t, dataDir)
	env["HIREBRIDGE_NATS_EMBEDDED_ADDR"] = "127.0.0.1:0"
	env["HIREBRIDGE_STRICT"] = "true"
	proc := startBinary(t, env)
	postRejected(t, proc.svc, unknownFirst, "unknown_event_type")
	between := time.Now()
	// The next dead letter is stored after between, even in the
	// milliseconds Kafka timestamps records in.
	time.Sleep(10 * time.Millisecond)
	postRejected(t, proc.svc, unknownSecond, "unknown_event_type")

	lax := withEnv(env, "HIREBRIDGE_STRICT", "false")
	replayBinary := func(args ...string) replay.Summary {
		t.Helper()
		cmd := exec.Command(binary(t), append([]string{"replay", "-json"}, args...)...)
		cmd.Env = append(environ(lax), raceOptions()...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("replay %v: %v\n%s", args, err, stderr.String())
		}
		return decodeSummary(t, out)
	}
	wantOutcomes(t, "while running", replayBinary("-since", between.Format(time.RFC3339Nano)), 1, map[string]int{"published": 1})
	proc.stop(t)

	wantOutcomes(t, "while stopped", replayBinary(), 2, map[string]int{"published": 1, "already_published": 1})
	lock, err := datadir.Take(dataDir, "HIREBRIDGE_DATA_DIR", "data directory")
	if err != nil {
		t.Fatalf("replay left the data directory locked: %v", err)
	}
	if err := lock.Unlock(); err != nil {
		t.Fatal(err)
	}

	env = embeddedEnv(t, dataDir)
	env["HIREBRIDGE_NATS_EMBEDDED_ADDR"] = "127.0.0.1:0"
	startService(t, env)
	n := 0
	for _, m := range readStream(t, embeddedURL(t, dataDir), "HIREMPIRE") {
		if m.Subject == "hirempire.candidate_rated" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d replayed events in the store, want 2", n)
	}
}

package kafka_test

import (
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// kcatRecord is one record as kcat (librdkafka) prints it.
type kcatRecord struct {
	topic     string
	partition int
	key       string
	headers   map[string]string
	body      string
}

// kcatFormat prints one field per line, the body last with its length first
// so that no delimiter inside it can confuse the parser.
const kcatFormat = "%t\n%p\n%k\n%h\n%S\n%s\n"

// TestKcatReadsWhatTheSinkWrote checks the records with a consumer outside
// the Go world: kcat, built on librdkafka.
func TestKcatReadsWhatTheSinkWrote(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat is not installed (Debian package kcat); .ci/run installs it")
	}
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{Partitions: 3})

	ev := message(prefix+".applicant_applied", "7b6f0c9e-event-id")
	ev.Key, ev.Event.Subject = "21", "21"
	ev.Body = []byte(`{"event":"applicant_applied","applicant":{"id":"21"},"note":"ünïcödé, commas"}`)
	ev.Headers = []sinks.Header{
		{Name: "traceparent", Value: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
		{Name: "hirebridge-validated", Value: "false"},
	}
	dead := &sinks.Message{
		Topic: prefix + ".dlq", ID: "dead-id", Body: []byte("{\"not\": json\n"),
		Headers: []sinks.Header{{Name: "hirebridge-reason", Value: "invalid_json"}},
	}
	for _, m := range []*sinks.Message{ev, dead} {
		if _, err := s.Publish(t.Context(), m); err != nil {
			t.Fatalf("publishing %s: %v", m.Topic, err)
		}
	}

	got := readWithKcat(t, kcat, cluster.Addr(), ev.Topic)
	if len(got) != 1 {
		t.Fatalf("kcat read %d records from %s, want 1", len(got), ev.Topic)
	}
	r := got[0]
	if r.topic != ev.Topic || r.key != ev.Key || r.body != string(ev.Body) {
		t.Errorf("kcat read topic %q key %q body %q, want %q %q %q", r.topic, r.key, r.body, ev.Topic, ev.Key, ev.Body)
	}
	if want := javaPartition(murmur2(t, ev.Key), 3); r.partition != want {
		t.Errorf("record on partition %d, want %d", r.partition, want)
	}
	wantHeaders := map[string]string{
		"ce_specversion": "1.0", "ce_id": ev.ID, "ce_source": ev.Event.Source,
		"ce_type": ev.Event.Type, "ce_time": ev.Event.Time, "ce_subject": "21",
		"content-type": "application/json", "traceparent": ev.Headers[0].Value, "hirebridge-validated": "false",
	}
	if !equalMaps(r.headers, wantHeaders) {
		t.Errorf("kcat read headers %v, want %v", r.headers, wantHeaders)
	}

	got = readWithKcat(t, kcat, cluster.Addr(), dead.Topic)
	if len(got) != 1 {
		t.Fatalf("kcat read %d records from %s, want 1", len(got), dead.Topic)
	}
	if r := got[0]; r.key != "" || r.body != string(dead.Body) || !equalMaps(r.headers, map[string]string{"hirebridge-reason": "invalid_json"}) {
		t.Errorf("kcat read dead letter key %q body %q headers %v", r.key, r.body, r.headers)
	}
}

func readWithKcat(t *testing.T, kcat, broker, topic string) []kcatRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-C", "-b", broker, "-t", topic, "-o", "beginning", "-e", "-q", "-f", kcatFormat)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, stderr.String())
	}
	var recs []kcatRecord
	rest := string(out)
	line := func() string {
		i := strings.IndexByte(rest, '\n')
		if i < 0 {
			t.Fatalf("kcat output ends mid-record: %q", out)
		}
		l := rest[:i]
		rest = rest[i+1:]
		return l
	}
	for rest != "" {
		var r kcatRecord
		r.topic = line()
		r.partition, err = strconv.Atoi(line())
		if err != nil {
			t.Fatalf("kcat partition: %v in %q", err, out)
		}
		r.key = line()
		r.headers = map[string]string{}
		if hs := line(); hs != "" {
			for _, kv := range strings.Split(hs, ",") {
				k, v, _ := strings.Cut(kv, "=")
				r.headers[k] = v
			}
		}
		n, err := strconv.Atoi(line())
		if err != nil || n < 0 || n+1 > len(rest) {
			t.Fatalf("kcat payload length in %q", out)
		}
		r.body, rest = rest[:n], rest[n+1:]
		recs = append(recs, r)
	}
	return recs
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func murmur2(t *testing.T, key string) int32 {
	t.Helper()
	h, ok := javaMurmur2[key]
	if !ok {
		t.Fatalf("no Java murmur2 for %q", key)
	}
	return h
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

func kafkaEnv(t *testing.T, brokers string) map[string]string {
	env := baseEnv(t, "")
	delete(env, "HIREBRIDGE_NATS_URL")
	env["HIREBRIDGE_SINK"] = "kafka"
	env["HIREBRIDGE_KAFKA_BROKERS"] = brokers
	return env
}

// The same events through a service on NATS and one on Kafka: tail prints
// the same lines on both, dead letters included.
func TestTailKafkaSameAsNATS(t *testing.T) {
	t.Parallel()
	nb := natstest.Start(t)
	kb := kafkatest.Start(t)
	natsEnv, kEnv := baseEnv(t, nb.URL()), kafkaEnv(t, kb.Addr())
	for _, svc := range []*service{startService(t, natsEnv), startService(t, kEnv)} {
		for _, name := range []string{"job_added", "meeting_booked"} {
			if r := mustPost(t, svc.webhookURL(), example(t, name+".json")); r.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", name, r.Status, r.Raw)
			}
		}
		postRejected(t, svc, badTimestamp, "invalid_timestamp")
	}

	lines := func(env map[string]string) []string {
		tl := startTail(t, []string{"-all"}, environ(env))
		var out []string
		for range 3 {
			b, err := json.Marshal(tl.next(t))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
		// Kafka's topics interleave; NATS's stream has one order.
		slices.Sort(out)
		return out
	}
	onNATS, onKafka := lines(natsEnv), lines(kEnv)
	if !slices.Equal(onNATS, onKafka) {
		t.Errorf("tail differs between the brokers:\nNATS:\n%s\nKafka:\n%s", strings.Join(onNATS, "\n"), strings.Join(onKafka, "\n"))
	}
	for _, want := range []string{`"ce-id":`, `"ce-subject":`, `"content-type":"application/json"`, `"hirebridge-reason":"invalid_timestamp"`, `"traceparent":`} {
		if !strings.Contains(strings.Join(onKafka, "\n"), want) {
			t.Errorf("tail on Kafka lacks %s:\n%s", want, strings.Join(onKafka, "\n"))
		}
	}
}

// Without -all, tail on Kafka prints only what arrives after it started;
// a filter narrows it, and one that matches no topic is refused.
func TestTailKafkaNewAndFilter(t *testing.T) {
	t.Parallel()
	kb := kafkatest.Start(t)
	env := kafkaEnv(t, kb.Addr())
	svc := startService(t, env)
	if r := mustPost(t, svc.webhookURL(), example(t, "job_deleted.json")); r.Status != http.StatusOK {
		t.Fatalf("POST: %d %s", r.Status, r.Raw)
	}
	before := map[string]bool{}
	for _, rec := range kb.Records(t, "hirempire.job_deleted") {
		before[string(rec.Value)] = true
	}

	tl := startTail(t, []string{"hirempire.job_deleted"}, environ(env))
	// tail may still be finding where the partitions end: post new events
	// until one shows.
	var rec tailRecord
	for i := 0; ; i++ {
		body := bytes.Replace(example(t, "job_deleted.json"), []byte("job_wx01yz23ab45cd67ef"), []byte(fmt.Sprintf("job_new_%d", i)), 1)
		if r := mustPost(t, svc.webhookURL(), body); r.Status != http.StatusOK {
			t.Fatalf("POST: %d %s", r.Status, r.Raw)
		}
		if r := mustPost(t, svc.webhookURL(), example(t, "job_added.json")); r.Status != http.StatusOK {
			t.Fatalf("POST: %d %s", r.Status, r.Raw)
		}
		select {
		case rec = <-tl.lines:
		case <-time.After(300 * time.Millisecond):
			if i < 30 {
				continue
			}
			t.Fatal("tail printed nothing of 30 new events")
		}
		break
	}
	if rec.Subject != "hirempire.job_deleted" || before[string(rec.Data)] || !strings.Contains(string(rec.Data), "job_new_") {
		t.Errorf("tail without -all printed %+v, want a new job_deleted", rec)
	}

	for filter, says := range map[string]string{"hirempire.job_*": "whole tokens", "other.>": "matches no topic", "hirempire.job_": "hirempire.job_added"} {
		err := run(context.Background(), []string{"tail", filter}, environ(env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("tail %s on Kafka: %v, want an error saying %q", filter, err, says)
		}
	}
}

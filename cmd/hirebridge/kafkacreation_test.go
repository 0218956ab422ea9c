//go:build linux

package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// operatorTopics creates topics as a cluster's operator would, for a bridge
// that may not create any.
func operatorTopics(t *testing.T, addr string, topics ...string) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, topic := range topics {
		resp, err := adm.CreateTopic(ctx, 1, 1, nil, topic)
		if err == nil {
			err = resp.Err
		}
		if err != nil {
			t.Fatalf("creating %s: %v", topic, err)
		}
	}
	return adm
}

// creationOffEnv is a service on Kafka at addr that may not create topics.
func creationOffEnv(t *testing.T, addr string) map[string]string {
	env := baseEnv(t, "")
	delete(env, "HIREBRIDGE_NATS_URL")
	env["HIREBRIDGE_SINK"] = "kafka"
	env["HIREBRIDGE_KAFKA_BROKERS"] = addr
	env["HIREBRIDGE_KAFKA_CREATE_TOPICS"] = "false"
	env["HIREBRIDGE_STRICT"] = "false"
	return env
}

// Kafka with topic creation off, on the webhook: an existing topic takes
// its events; an event whose topic is missing is kept on the dead letters
// (202 dead_lettered, reason undeliverable, the detail naming the
// variable) and no topic is created; readiness stays 200 and says which
// documented topics are missing; once the operator creates the topic,
// replay publishes the event.
func TestKafkaCreationOffOnTheWebhook(t *testing.T) {
	t.Parallel()
	broker := kafkatest.Start(t)
	adm := operatorTopics(t, broker.Addr(), "hirempire.dlq", "hirempire.job_added")
	env := creationOffEnv(t, broker.Addr())
	svc := startService(t, env)

	if status, body := get(svc.admin + "/readyz"); status != http.StatusOK || !strings.Contains(body, "topics_missing") || !strings.Contains(body, "hirempire.applicant_applied") {
		t.Errorf("/readyz with documented topics missing: %d %s, want 200 topics_missing naming them", status, body)
	}
	if r := mustPost(t, svc.webhookURL(), example(t, "job_added.json")); r.Status != http.StatusOK || r.Body.Status != "published" {
		t.Errorf("an existing topic: %d %s", r.Status, r.Raw)
	}
	r := mustPost(t, svc.webhookURL(), undocumentedEvent("not_made"))
	if r.Status != http.StatusAccepted || r.Body.Status != "dead_lettered" {
		t.Fatalf("a missing topic: %d %s, want 202 dead_lettered", r.Status, r.Raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if topics.Has("hirempire.not_made") {
		t.Errorf("the bridge created hirempire.not_made")
	}
	dead := broker.Records(t, "hirempire.dlq")
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dead))
	}
	reason, _ := dead[0].Header("hirebridge-reason")
	detail, _ := dead[0].Header("hirebridge-detail")
	if reason != "undeliverable" || !strings.Contains(detail, "HIREBRIDGE_KAFKA_CREATE_TOPICS") {
		t.Errorf("the dead letter's reason %q, detail %q", reason, detail)
	}

	wantOutcomes(t, "replay before the topic exists", runReplay(t, env, "-reason", "undeliverable"), 1, map[string]int{"refused": 1})
	operatorTopics(t, broker.Addr(), "hirempire.not_made")
	wantOutcomes(t, "replay once it exists", runReplay(t, env, "-reason", "undeliverable"), 1, map[string]int{"published": 1})
	if n := len(broker.Records(t, "hirempire.not_made")); n != 1 {
		t.Errorf("%d records on hirempire.not_made after the replay, want 1", n)
	}
}

// The same through the spool: an event spooled while the broker was
// paused, whose topic is missing, is moved to the dead letters by the
// forwarder.
func TestKafkaCreationOffThroughTheSpool(t *testing.T) {
	t.Parallel()
	broker := kafkatest.StartProcess(t)
	operatorTopics(t, broker.Addr(), "hirempire.dlq", "hirempire.job_added")
	env := creationOffEnv(t, broker.Addr())
	env["HIREBRIDGE_SPOOL"] = "true"
	env["HIREBRIDGE_SPOOL_AFTER"] = "300ms"
	env["HIREBRIDGE_PUBLISH_TIMEOUT"] = "3s"
	svc := startService(t, env)
	if r := mustPost(t, svc.webhookURL(), example(t, "job_added.json")); r.Status != http.StatusOK {
		t.Fatalf("before the pause: %d %s", r.Status, r.Raw)
	}
	broker.Pause(t)
	// The job event waits for the broker, so the next goes to the spool
	// behind it, in order, and meets the missing topic in the forwarder.
	for _, body := range [][]byte{newKeyedEvents(t).make("job-9", 1), undocumentedEvent("not_made")} {
		if r := mustPost(t, svc.webhookURL(), body); r.Status != http.StatusAccepted || r.Body.Status != "spooled" {
			broker.Resume(t)
			t.Fatalf("with the broker paused: %d %s, want 202 spooled", r.Status, r.Raw)
		}
	}
	broker.Resume(t)
	waitFor(t, 30*time.Second, "the spool to drain", func() bool {
		return metricValue(t, svc.admin, "hirebridge_spool_events") == 0
	})
	waitFor(t, 5*time.Second, "the dead letter", func() bool {
		return metricValue(t, svc.admin, "hirebridge_spool_dead_lettered_total") == 1
	})
	if n := len(broker.Records(t, "hirempire.job_added")); n != 2 {
		t.Errorf("%d records on hirempire.job_added, want both", n)
	}
	dead := broker.Records(t, "hirempire.dlq")
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want the missing topic's event", len(dead))
	}
	if topic, _ := dead[0].Header("hirebridge-original-topic"); topic != "hirempire.not_made" {
		t.Errorf("the dead letter's original topic %q", topic)
	}
}

package kafka_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// With creation off, the sink publishes to the topics an operator made
// and refuses for good, at once, an event whose topic is missing, creating
// nothing; a documented type's missing topic leaves readiness degraded
// (still taking traffic) until the operator creates it.
func TestCreationOff(t *testing.T) {
	t.Parallel()
	cluster := kafkatest.Start(t)
	createTopic(t, cluster, prefix+".dlq", 1)
	createTopic(t, cluster, prefix+".applicant_applied", 1)
	s := openSink(t, cluster, kafka.Config{CreateTopics: "false"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if _, err := s.Publish(ctx, message(prefix+".applicant_applied", "a-1")); err != nil {
		t.Fatalf("an existing topic: %v", err)
	}
	start := time.Now()
	_, err := s.Publish(ctx, message(prefix+".never_made", "n-1"))
	if !errors.Is(err, sinks.ErrRefused) || !strings.Contains(err.Error(), "HIREBRIDGE_KAFKA_CREATE_TOPICS") {
		t.Fatalf("a missing topic: %v, want refused for good naming the variable", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("the refusal took %v", took)
	}
	names, err := s.Destinations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != prefix+".applicant_applied,"+prefix+".dlq" {
		t.Errorf("topics under the prefix %v: the sink created some", names)
	}

	var degraded *sinks.DegradedError
	if err := s.Ready(ctx); !errors.As(err, &degraded) || !strings.Contains(degraded.Detail, prefix+".job_created") {
		t.Fatalf("readiness with a documented type's topic missing: %v, want degraded naming it", err)
	}
	createTopic(t, cluster, prefix+".job_created", 1)
	deadline := time.Now().Add(15 * time.Second)
	for s.Ready(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("still not ready once the topic exists: %v", s.Ready(ctx))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := s.Publish(ctx, message(prefix+".job_created", "j-1")); err != nil {
		t.Errorf("the topic once created: %v", err)
	}
}

// Without the dead letters' topic a refused event could be kept nowhere:
// readiness fails, naming it.
func TestCreationOffWithoutDeadLetters(t *testing.T) {
	t.Parallel()
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{CreateTopics: "false"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.Ready(ctx)
	var degraded *sinks.DegradedError
	if err == nil || errors.As(err, &degraded) || !strings.Contains(err.Error(), prefix+".dlq") {
		t.Errorf("readiness without the dead letters' topic: %v, want unready naming it", err)
	}
}

func TestCreateTopicsSetting(t *testing.T) {
	for v, ok := range map[string]bool{"": true, "true": true, "false": true, "no": false, "maybe": false} {
		c := kafka.Config{Brokers: []string{"127.0.0.1:9092"}, Prefix: prefix, CreateTopics: v}
		var fe *kafka.FieldError
		if err := c.Validate(); (err == nil) != ok || (err != nil && (!errors.As(err, &fe) || fe.Field != "CreateTopics")) {
			t.Errorf("CreateTopics %q: %v", v, err)
		}
	}
}

package kafka_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// A topic deleted by hand while the bridge runs is created again, with the
// configured partitions, by the first publish that finds it missing, within
// that publish's deadline.
func TestTopicDeletedWhileRunningIsCreatedAgain(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{Partitions: 4})
	topic := prefix + ".applicant_applied"
	publish(t, s, message(topic, "before-delete"), 10*time.Second)

	cluster.DeleteTopic(t, topic)
	if n := cluster.Partitions(t, topic); n != 0 {
		t.Fatalf("%s still has %d partitions after its deletion", topic, n)
	}
	// One publish, no retry by the test: the sink creates the topic again
	// and writes within the publish's own deadline.
	if ack := publish(t, s, message(topic, "after-delete"), 10*time.Second); ack.Duplicate {
		t.Error("first publish of an id answered as a duplicate")
	}
	if n := cluster.Partitions(t, topic); n != 4 {
		t.Errorf("%s created again with %d partitions, want the configured 4", topic, n)
	}
	count := countIDs(cluster.Records(t, topic))
	if count["after-delete"] != 1 || len(count) != 1 {
		t.Errorf("records by ce_id after the deletion: %v, want after-delete once", count)
	}
	if err := s.Ready(t.Context()); err != nil {
		t.Errorf("not ready after the topic was created again: %v", err)
	}
}

// Readiness asks the broker, not the client's cache: a topic deleted while
// the bridge runs makes it not ready while the topic cannot be created
// again, and ready again by itself, with the topic back as configured, as
// soon as it can.
func TestReadinessFollowsAMissingTopic(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{Partitions: 2})
	dlq := prefix + ".dlq"
	waitReady(t, s, true)

	var refuse atomic.Bool
	refuse.Store(true)
	kf := cluster.Kfake()
	kf.ControlKey(int16(kmsg.CreateTopics), func(req kmsg.Request) (kmsg.Response, error, bool) {
		kf.KeepControl()
		if !refuse.Load() {
			return nil, nil, false
		}
		creq := req.(*kmsg.CreateTopicsRequest)
		resp := creq.ResponseKind().(*kmsg.CreateTopicsResponse)
		for _, rt := range creq.Topics {
			st := kmsg.NewCreateTopicsResponseTopic()
			st.Topic = rt.Topic
			st.ErrorCode = kerr.TopicAuthorizationFailed.Code
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})

	cluster.DeleteTopic(t, dlq)
	err := waitReady(t, s, false)
	if !strings.Contains(err.Error(), dlq) {
		t.Errorf("not ready for a reason that does not name %s: %v", dlq, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_, err = s.Publish(ctx, &sinks.Message{Topic: dlq, ID: "dlq-refused", Body: []byte("x")})
	cancel()
	if !errors.Is(err, sinks.ErrRefused) {
		// The broker refuses the principal the topic: final for the
		// record, while readiness says the sink cannot work without it.
		t.Errorf("publishing to a missing topic the broker refuses to create: %v, want ErrRefused", err)
	}

	refuse.Store(false)
	waitReady(t, s, true)
	if n := cluster.Partitions(t, dlq); n != 2 {
		t.Errorf("%s created again with %d partitions, want the configured 2", dlq, n)
	}
	publish(t, s, &sinks.Message{Topic: dlq, ID: "dlq-accepted", Body: []byte("y")}, 10*time.Second)
}

// A broker restarted on its port with an empty store (kfake without a data
// directory keeps it in memory) loses every topic. The sink creates them
// again without being reopened: on the first publish that finds its topic
// missing, and from the readiness probe, which says not ready while the
// broker is down and ready again by itself once it is back.
func TestBrokerRestartedEmptyRecoversWithoutReopening(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{Partitions: 2})
	applied, created := prefix+".applicant_applied", prefix+".job_created"
	publish(t, s, message(applied, "before-restart"), 10*time.Second)
	waitReady(t, s, true)

	// The publish path: the first publish after the restart, to a topic
	// the broker lost and the client's metadata cache still lists.
	cluster.Stop()
	cluster.StartEmpty(t)
	if n := cluster.Partitions(t, applied); n != 0 {
		t.Fatalf("the restarted broker kept %s (%d partitions)", applied, n)
	}
	publish(t, s, message(applied, "after-first-restart"), 10*time.Second)
	if n := cluster.Partitions(t, applied); n != 2 {
		t.Errorf("%s created again with %d partitions, want 2", applied, n)
	}
	if count := countIDs(cluster.Records(t, applied)); count["after-first-restart"] != 1 || len(count) != 1 {
		t.Errorf("records by ce_id after the first restart: %v", count)
	}

	// The readiness path: no publish until readiness says so.
	cluster.Stop()
	waitReady(t, s, false)
	cluster.StartEmpty(t)
	waitReady(t, s, true)
	for _, topic := range []string{prefix + ".dlq", applied, created} {
		if n := cluster.Partitions(t, topic); n != 2 {
			t.Errorf("after readiness came back, %s has %d partitions, want 2", topic, n)
		}
	}
	for _, m := range []*sinks.Message{
		message(applied, "after-second-restart"),
		message(created, "job-after-restart"),
		message(prefix+".offer_extended", "new-type-after-restart"),
	} {
		if ack := publish(t, s, m, 10*time.Second); ack.Duplicate {
			t.Errorf("%s: first publish answered as a duplicate", m.ID)
		}
	}
	if count := countIDs(cluster.Records(t, applied)); count["after-second-restart"] != 1 || len(count) != 1 {
		t.Errorf("records by ce_id after the second restart: %v", count)
	}
}

package kafka_test

import (
	"context"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

func TestOpenCreatesTheKnownAndDeadLetterTopics(t *testing.T) {
	cluster := kafkatest.Start(t)
	openSink(t, cluster, kafka.Config{Partitions: 5, KnownTypes: []string{"applicant_applied", "job_created"}})
	for _, topic := range []string{prefix + ".dlq", prefix + ".applicant_applied", prefix + ".job_created"} {
		if n := cluster.Partitions(t, topic); n != 5 {
			t.Errorf("%s has %d partitions, want 5", topic, n)
		}
	}
	if n := cluster.Partitions(t, prefix+".meeting_booked"); n != 0 {
		t.Errorf("a type that is neither known nor used got a topic of %d partitions", n)
	}
}

// kfake, as the bridge's brokers should be, does not create topics on
// demand: a record for a type first seen at run time is stored only
// because the sink creates the topic.
func TestPublishCreatesTopicsOfNewTypes(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{Partitions: 2})
	topic := prefix + ".offer_extended"
	if n := cluster.Partitions(t, topic); n != 0 {
		t.Fatalf("%s exists before its first event (%d partitions)", topic, n)
	}
	for i, id := range []string{"first", "second"} {
		m := &sinks.Message{Topic: topic, ID: id, Key: "applicant-1", Body: []byte(`{"n":` + string(rune('0'+i)) + `}`)}
		if _, err := s.Publish(t.Context(), m); err != nil {
			t.Fatalf("publishing %s: %v", id, err)
		}
	}
	if n := cluster.Partitions(t, topic); n != 2 {
		t.Errorf("%s has %d partitions, want 2", topic, n)
	}
	if recs := cluster.Records(t, topic); len(recs) != 2 {
		t.Errorf("%d records in %s, want 2", len(recs), topic)
	}
}

// The test broker refuses to create topics on demand even when a client
// asks, so the tests above prove the sink creates its topics itself.
func TestBrokerDoesNotCreateTopicsOnDemand(t *testing.T) {
	cluster := kafkatest.Start(t)
	// A transport of its own, closed at the end: kafka-go's default one
	// keeps its connections and a metadata goroutine per broker for the
	// life of the process.
	bg, stop := context.WithCancel(context.Background())
	defer stop()
	transport := &kafkago.Transport{Context: bg}
	defer transport.CloseIdleConnections()
	w := &kafkago.Writer{
		Addr:                   kafkago.TCP(cluster.Addr()),
		Transport:              transport,
		AllowAutoTopicCreation: true,
		RequiredAcks:           kafkago.RequireAll,
		BatchTimeout:           time.Millisecond,
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	topic := prefix + ".auto_created"
	if err := w.WriteMessages(ctx, kafkago.Message{Topic: topic, Value: []byte(`{}`)}); err == nil {
		t.Fatal("a write to a missing topic succeeded: the broker creates topics on demand")
	}
	if n := cluster.Partitions(t, topic); n != 0 {
		t.Fatalf("the broker created %s with %d partitions on demand", topic, n)
	}
}

func TestExistingTopicsAreUsedAsTheyAre(t *testing.T) {
	cluster := kafkatest.Start(t)
	createTopic(t, cluster, prefix+".job_created", 1)
	s := openSink(t, cluster, kafka.Config{Partitions: 4, KnownTypes: []string{"job_created"}})
	// Created by someone else after the sink read the cluster's metadata.
	createTopic(t, cluster, prefix+".job_closed", 6)
	for _, topic := range []string{prefix + ".job_created", prefix + ".job_closed"} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := s.Publish(ctx, &sinks.Message{Topic: topic, ID: topic, Key: "job-1", Body: []byte(`{}`)})
		cancel()
		if err != nil {
			t.Fatalf("publishing to %s: %v", topic, err)
		}
	}
	if n := cluster.Partitions(t, prefix+".job_created"); n != 1 {
		t.Errorf("existing topic now has %d partitions, want its own 1", n)
	}
	if n := cluster.Partitions(t, prefix+".job_closed"); n != 6 {
		t.Errorf("topic created elsewhere now has %d partitions, want its own 6", n)
	}
	if recs := cluster.Records(t, prefix+".job_closed"); len(recs) != 1 {
		t.Errorf("%d records in the topic created elsewhere, want 1", len(recs))
	}
}

func createTopic(t *testing.T, cluster *kafkatest.Cluster, topic string, partitions int32) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopic(t.Context(), partitions, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("creating %s: %v", topic, err)
	}
}

package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

func message(topic, id string) *sinks.Message {
	return &sinks.Message{
		Topic: topic, ID: id, Key: "applicant-1", Body: []byte(`{"event":"applicant_applied"}`),
		Event: &sinks.CloudEvent{Type: "com.hirempire.applicant_applied", Source: "https://app.hirempire.com", Time: "2026-01-30T00:14:56.395Z", Subject: "applicant-1"},
	}
}

// swallowProduce makes the broker read produce requests and never answer
// them, as a broker that hangs; it returns how many it swallowed.
func swallowProduce(cluster *kafkatest.Cluster) *atomic.Int64 {
	var n atomic.Int64
	kf := cluster.Kfake()
	kf.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		kf.KeepControl()
		n.Add(1)
		return nil, nil, true
	})
	return &n
}

// A hung broker: publishes fail within their deadline, the records kafka-go
// still holds are bounded by MaxInFlight, and kafka-go gives them up soon
// after (it does not retry in the background for long).
func TestHungBrokerBoundsInFlightRecords(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{MaxInFlight: 2, AckTimeout: time.Second})
	topic := prefix + ".applicant_applied"
	produces := swallowProduce(cluster)

	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		_, err := s.Publish(ctx, message(topic, fmt.Sprintf("hung-%d", i)))
		cancel()
		if !errors.Is(err, sinks.ErrUnavailable) {
			t.Fatalf("publish %d to a hung broker: %v, want ErrUnavailable", i, err)
		}
	}
	if n := s.InFlight(); n != 2 {
		t.Fatalf("%d records in flight after two unanswered publishes, want 2", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err := s.Publish(ctx, message(topic, "hung-2"))
	cancel()
	if !errors.Is(err, sinks.ErrUnavailable) || !strings.Contains(err.Error(), "in flight") {
		t.Fatalf("publish beyond MaxInFlight: %v, want ErrUnavailable for records in flight", err)
	}

	// AckTimeout bounds kafka-go's one attempt per batch, after the batches
	// queued before it on the partition.
	deadline := time.Now().Add(10 * time.Second)
	for s.InFlight() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d records still in flight 10s after their callers gave up", s.InFlight())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if produces.Load() == 0 {
		t.Fatal("the broker saw no produce request")
	}
	if recs := cluster.Records(t, topic); len(recs) != 0 {
		t.Fatalf("%d records stored by a broker that answered none", len(recs))
	}
}

// A retry that arrives while the first attempt is still in kafka-go joins
// it instead of writing a second record. The first caller gave up before
// the ack, so the retry is the first to learn the record is stored: it is
// answered as new, and only a later retry as a duplicate.
func TestRetryJoinsARecordStillInFlight(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{AckTimeout: 3 * time.Second})
	topic := prefix + ".applicant_applied"
	release := make(chan struct{})
	kf := cluster.Kfake()
	var held atomic.Bool
	kf.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		if held.Swap(true) {
			return nil, nil, false
		}
		kf.SleepControl(func() { <-release })
		return nil, nil, false // then store it as usual
	})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	_, err := s.Publish(ctx, message(topic, "slow"))
	cancel()
	if !errors.Is(err, sinks.ErrUnavailable) {
		t.Fatalf("publish held by the broker: %v, want ErrUnavailable", err)
	}
	retried := make(chan error, 1)
	var ack sinks.Ack
	go func() {
		var err error
		ack, err = s.Publish(context.Background(), message(topic, "slow"))
		retried <- err
	}()
	waitFor(t, "the retry to join the write in flight", func() bool { return s.Waiting("slow") == 1 })
	close(release)
	if err := <-retried; err != nil {
		t.Fatalf("retry: %v", err)
	}
	if ack.Duplicate {
		t.Error("the first caller told of the record was answered duplicate")
	}
	if ack, err := s.Publish(t.Context(), message(topic, "slow")); err != nil || !ack.Duplicate {
		t.Errorf("a retry after the record was answered stored: %+v, %v; want a duplicate", ack, err)
	}
	if recs := cluster.Records(t, topic); len(recs) != 1 {
		t.Errorf("%d records, want 1", len(recs))
	}
}

// Concurrent publishes share produce requests, each still waiting for its
// own record's ack.
func TestConcurrentPublishesShareProduceRequests(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{Partitions: 1})
	topic := prefix + ".applicant_applied"
	s.WriterStats()
	const n = 20
	// The first request is held until every publish is queued: sharing
	// is certain on a loaded machine.
	holdFirstProduce(cluster, queuedBehind(s, n))
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if _, err := s.Publish(context.Background(), message(topic, fmt.Sprintf("batch-%d", i))); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := s.WriterStats()
	if st.Messages != n {
		t.Fatalf("writer sent %d messages, want %d", st.Messages, n)
	}
	if st.Writes >= n {
		t.Errorf("%d produce requests for %d concurrent publishes: none shared", st.Writes, n)
	}
	if recs := cluster.Records(t, topic); len(recs) != n {
		t.Errorf("%d records, want %d", len(recs), n)
	}
}

func TestTooLargeIsFinal(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{})
	m := message(prefix+".applicant_applied", "huge")
	m.Body = make([]byte, 2<<20)
	_, err := s.Publish(t.Context(), m)
	if !errors.Is(err, sinks.ErrTooLarge) {
		t.Fatalf("publishing 2 MiB: %v, want ErrTooLarge", err)
	}
	// A failure is not remembered: the id is free for a smaller body.
	m.Body = []byte(`{}`)
	if ack, err := s.Publish(t.Context(), m); err != nil || ack.Duplicate {
		t.Fatalf("publishing the id again after ErrTooLarge: %+v, %v", ack, err)
	}
}

func TestReadyAndPublishAfterClose(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{})
	if err := s.Ready(t.Context()); err != nil {
		t.Fatalf("ready after Open: %v", err)
	}
	if err := s.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(t.Context()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Ready(t.Context()); !errors.Is(err, sinks.ErrClosed) {
		t.Errorf("Ready after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Publish(t.Context(), message(prefix+".job_created", "late")); !errors.Is(err, sinks.ErrClosed) {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
}

func TestOpenFailsWithoutABroker(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	s, err := kafka.Open(ctx, kafka.Config{Brokers: []string{addr}, Prefix: prefix})
	if err == nil {
		s.Close(context.Background())
		t.Fatal("Open succeeded with nothing listening")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Open took %s with a 1s context", took)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name the broker", err)
	}
}

func TestPublishRefusesTopicNamesKafkaRejects(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{})
	_, err := s.Publish(t.Context(), message(prefix+".job created", "bad-topic"))
	if !errors.Is(err, sinks.ErrRefused) || errors.Is(err, sinks.ErrUnavailable) {
		t.Fatalf("publishing to an illegal topic name: %v, want ErrRefused", err)
	}
}

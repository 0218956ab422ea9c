package kafka_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// Writes to many topics leave nothing per topic-partition behind: the
// producer holds a partition's queue only while records wait or are in
// flight, and its goroutines come back to what they were before. Not
// parallel: it counts the process's goroutines.
func TestIdleTopicsLeaveNothingBehind(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{Partitions: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	topic := prefix + ".applicant_applied"
	if _, err := s.Publish(ctx, message(topic, "warm")); err != nil {
		t.Fatal(err)
	}
	waitQueues(t, s, 0)
	baseline := goroutines()

	const topics = 200
	for i := range topics {
		for p := range 3 {
			m := message(fmt.Sprintf("%s.many_%03d", prefix, i), fmt.Sprintf("m-%d-%d", i, p))
			m.Key = fmt.Sprintf("key-%d", p)
			if _, err := s.Publish(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitQueues(t, s, 0)
	idle, sending := goroutines(), producerGoroutines()
	t.Logf("goroutines: %d before; %d once idle after writing to %d topics, %d of them the producer's", baseline, idle, topics, sending)
	if sending != 0 {
		t.Errorf("%d producer goroutines once idle, want none", sending)
	}
	// Beside them only connections vary, with the load, not the topics.
	if idle > baseline+10 {
		t.Errorf("%d goroutines once idle, %d before", idle, baseline)
	}
}

// A lone publish is sent at once: records wait on no timer, whatever the
// batch timeout says (it is no longer used).
func TestLonePublishDoesNotWaitForTheBatchTimeout(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{BatchTimeout: 5 * time.Second, AckTimeout: 20 * time.Second, Partitions: 1})
	topic := prefix + ".applicant_applied"
	for i := range 3 {
		start := time.Now()
		if _, err := s.Publish(t.Context(), message(topic, fmt.Sprintf("lone-%d", i))); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took >= 5*time.Second {
			t.Errorf("a lone publish took %s, the batch timeout or more", took)
		}
	}
}

// holdFirstProduce makes the broker hold the next produce request it gets
// until ready reports true (or 10s pass): the records published meanwhile
// queue behind it, and share the next request.
func holdFirstProduce(cluster *kafkatest.Cluster, ready func() bool) {
	kf := cluster.Kfake()
	kf.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		// Not handled, so the control stays for later requests: this
		// one removes it (kfake keeps a control until it handles one).
		kf.DropControl()
		kf.SleepControl(func() {
			give := time.Now().Add(10 * time.Second)
			for !ready() && time.Now().Before(give) {
				time.Sleep(5 * time.Millisecond)
			}
		})
		return nil, nil, false
	})
}

// queuedBehind reports, for holdFirstProduce, when n publishes are in
// flight and a moment passed for the last to reach the producer's queue.
func queuedBehind(s *kafka.Sink, n int) func() bool {
	var since time.Time
	return func() bool {
		if s.InFlight() < n {
			return false
		}
		if since.IsZero() {
			since = time.Now()
		}
		return time.Since(since) > 100*time.Millisecond
	}
}

func waitQueues(t *testing.T, s *kafka.Sink, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Queues() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d partition queues after 10s, want %d", s.Queues(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// producerGoroutines counts the goroutines sending records for the
// producer, or waiting in it.
func producerGoroutines() int {
	buf := make([]byte, 8<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "kafka.(*producer)")
}

func goroutines() int {
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	return runtime.NumGoroutine()
}

package kafka_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// Writes to many topics leave no goroutine per topic-partition behind:
// once idle, the topics' writers close and the sink's goroutines come back
// to what they were before. Not parallel: it sets the idle time and counts
// the process's goroutines.
func TestIdleTopicsGiveTheirGoroutinesBack(t *testing.T) {
	defer kafka.SetWriterIdle(300 * time.Millisecond)()
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{Partitions: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	topic := prefix + ".applicant_applied"
	if _, err := s.Publish(ctx, message(topic, "warm")); err != nil {
		t.Fatal(err)
	}
	waitWriters(t, s, 0)
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
	busy, busyWriting := goroutines(), partitionWriters()
	waitWriters(t, s, 0)
	idle, idleWriting := goroutines(), partitionWriters()
	t.Logf("goroutines: %d before; %d after writing to %d topics, %d of them kafka-go's partition writers; once idle %d, %d of them partition writers",
		baseline, busy, topics, busyWriting, idle, idleWriting)
	if idleWriting != 0 {
		t.Errorf("%d kafka-go partition writers once idle, want none", idleWriting)
	}
	// Beside them only connections vary, with the load, not the topics.
	if idle > baseline+10 {
		t.Errorf("%d goroutines once idle, %d before", idle, baseline)
	}
	if _, err := s.Publish(ctx, message(fmt.Sprintf("%s.many_%03d", prefix, 7), "again")); err != nil {
		t.Errorf("a topic whose writer closed: %v", err)
	}
}

func waitWriters(t *testing.T, s *kafka.Sink, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Writers() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d writers open after 10s, want %d", s.Writers(), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// partitionWriters counts the goroutines kafka-go keeps per topic-partition
// a Writer wrote to.
func partitionWriters() int {
	buf := make([]byte, 8<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "(*partitionWriter).writeBatches")
}

func goroutines() int {
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	return runtime.NumGoroutine()
}

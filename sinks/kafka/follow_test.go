package kafka_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// partitionFollowers counts the goroutines inside Follow's per-partition
// loop at this instant: unlike goleak, which waits for stragglers, it sees
// one that is still ending after Follow returned.
func partitionFollowers() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("kafka.(*Reader).followPartition(")) {
			count++
		}
	}
	return count
}

// openReader opens a Reader on cluster, closed at the end of the test.
func openReader(t *testing.T, cluster *kafkatest.Cluster) *kafka.Reader {
	t.Helper()
	r, err := kafka.NewReader(kafka.Config{Brokers: []string{cluster.Addr()}, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// verifyNoneLeft fails the test if goroutines other than those of before
// are still running 5 s on. It waits because goroutines of closed clients
// and servers end on their own time: a fetch in flight when Follow
// returned keeps its kafka-go connection goroutine until the broker
// answers it or goes, whatever the context.
func verifyNoneLeft(t *testing.T, before goleak.Option) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	// Find itself retries for about half a second before answering.
	for goleak.Find(before) != nil && time.Now().Before(deadline) {
	}
	goleak.VerifyNone(t, before)
}

var errEnough = errors.New("enough records")

// TestFollowWaitsForItsPartitions: every goroutine Follow starts has ended
// when it returns, whether fn stopped it or its context did; and once the
// Reader, the sink and the broker are closed, nothing the test started is
// left.
func TestFollowWaitsForItsPartitions(t *testing.T) {
	before := goleak.IgnoreCurrent()
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{})
	topic := prefix + ".applicant_applied"
	const records = 12
	for i := range records {
		m := message(topic, fmt.Sprintf("follow-%d", i))
		m.Key = fmt.Sprintf("applicant-%d", i) // spread over the partitions
		publish(t, s, m, 10*time.Second)
	}
	if n := cluster.Partitions(t, topic); n < 2 {
		t.Fatalf("%s has %d partition, want several so Follow starts several goroutines", topic, n)
	}

	for _, stop := range []string{"fn", "ctx"} {
		t.Run("stopped by "+stop, func(t *testing.T) {
			r := openReader(t, cluster)
			defer r.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// On one processor, a goroutine Follow merely woke has not
			// run by the time Follow returns: one left behind is seen
			// every time, not only when it loses a race.
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
			got := 0
			err := r.Follow(ctx, func(name string) bool { return name == topic }, true, func(sinks.Stored) error {
				got++
				if got < records {
					return nil
				}
				if stop == "fn" {
					return errEnough
				}
				cancel()
				return nil
			})
			if n := partitionFollowers(); n != 0 {
				t.Errorf("%d partition goroutines still running when Follow returned", n)
			}
			want := map[string]error{"fn": errEnough, "ctx": nil}[stop]
			if !errors.Is(err, want) || got != records {
				t.Fatalf("Follow read %d records and returned %v; want %d and %v", got, err, records, want)
			}
		})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	cluster.Stop()
	verifyNoneLeft(t, before)
}

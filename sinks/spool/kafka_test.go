//go:build linux

package spool_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// The Kafka broker paused (SIGSTOP) for several seconds under senders that
// never retry: none is refused, every event is on its topic afterwards, in
// order per key, and none twice (the sink reads back what it wrote while
// the broker was paused before writing it again).
func TestKafkaPausedLosesNothing(t *testing.T) {
	broker := kafkatest.StartProcess(t)
	open := func(ctx context.Context) (sinks.Sink, error) {
		return kafka.Open(ctx, kafka.Config{
			Brokers: []string{broker.Addr()}, Prefix: testPrefix, KnownTypes: []string{"applicant_applied"},
			Partitions: 3, AckTimeout: 2 * time.Second, Log: zerolog.Nop(),
		})
	}
	var logs syncbuf.Buffer
	sp := openSpool(t, spoolConfig(t.TempDir(), 300*time.Millisecond, &logs),
		lazy(t, open))

	stop := make(chan struct{})
	done := make(chan struct{})
	var ta tally
	var sent atomic.Int64
	go func() {
		defer close(done)
		send(t, sp, 4, stop, &ta, &sent)
	}()
	time.Sleep(500 * time.Millisecond)
	broker.Pause(t)
	time.Sleep(3 * time.Second)
	broker.Resume(t)
	time.Sleep(500 * time.Millisecond)
	close(stop)
	<-done
	drainStart := time.Now()
	waitEmpty(t, sp, 20*time.Second)
	t.Logf("drained %s after the last event", time.Since(drainStart).Round(time.Millisecond))

	if len(ta.failed) > 0 {
		t.Errorf("%d of %d events refused, e.g. %s", len(ta.failed), sent.Load(), ta.failed[0])
	}
	if len(ta.spooled) == 0 {
		t.Error("no event was spooled while the broker was paused for 3 s")
	}
	recs := broker.Records(t, testPrefix+".applicant_applied")
	var ids []string
	count := map[string]int{}
	for _, r := range recs {
		id, _ := r.Header("ce_id")
		ids = append(ids, id)
		count[id]++
	}
	lost, twice := 0, 0
	for _, id := range append(append([]string(nil), ta.published...), ta.spooled...) {
		switch c := count[id]; {
		case c == 0:
			lost++
			t.Errorf("%s was answered stored but is not on the topic", id)
		case c > 1:
			twice++
			t.Errorf("%s is on the topic %d times", id, c)
		}
	}
	checkOrder(t, ids)
	t.Logf("Kafka paused 3s: %d sent, %d published directly, %d spooled, %d records, %d lost, %d twice",
		sent.Load(), len(ta.published), len(ta.spooled), len(recs), lost, twice)
}

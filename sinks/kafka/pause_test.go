//go:build linux

package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// A broker paused (SIGSTOP) for longer than the attempt timeout, then
// resumed, stores the requests it received while paused, though every
// client gave up on them. Each sender retries until it gets a success, as
// an HTTP sender answered 503 does. Every event must be stored exactly
// once, and no sender told "duplicate": none had been told its event was
// stored before.
func TestPausedBrokerStoresEachEventOnce(t *testing.T) {
	broker := kafkatest.StartProcess(t)
	const ackTimeout = 2 * time.Second
	topic := prefix + ".applicant_applied"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	s, err := kafka.Open(ctx, kafka.Config{
		Brokers: []string{broker.Addr()}, Prefix: prefix, KnownTypes: []string{"applicant_applied"},
		Partitions: 3, AckTimeout: ackTimeout,
	})
	cancel()
	if err != nil {
		t.Fatalf("opening the kafka sink: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})

	event := func(id string, n int) *sinks.Message {
		m := message(topic, id)
		m.Key = fmt.Sprintf("applicant-%d", n%8)
		m.Event.Subject = m.Key
		return m
	}
	// Warm up: connections to the broker are open and idle when it stops,
	// so requests reach its socket while it is stopped.
	var warm sync.WaitGroup
	for i := range 8 {
		warm.Go(func() { publish(t, s, event(fmt.Sprintf("warm-%d", i), i), 10*time.Second) })
	}
	warm.Wait()

	broker.Pause(t)
	paused := true
	defer func() {
		if paused {
			broker.Resume(t)
		}
	}()

	const senders = 32
	type answer struct {
		try int
		ack sinks.Ack
		err error
	}
	answers := make([][]answer, senders)
	ids := make([]string, senders)
	var wg sync.WaitGroup
	for i := range senders {
		ids[i] = fmt.Sprintf("paused-%02d", i)
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
			defer cancel()
			ack, err := s.Publish(ctx, event(ids[i], i))
			answers[i] = append(answers[i], answer{1, ack, err})
		})
	}
	wg.Wait()
	for i, a := range answers {
		if a[0].err == nil {
			t.Fatalf("sender %d: a publish to a stopped broker succeeded: %+v", i, a[0].ack)
		}
		if !errors.Is(a[0].err, sinks.ErrUnavailable) {
			t.Errorf("sender %d: %v, want ErrUnavailable", i, a[0].err)
		}
	}
	// Stopped longer than the attempt timeout: every write kafka-go sent
	// or queued has ended unanswered before the broker resumes.
	waitFor(t, "every write to the stopped broker to time out", func() bool { return s.InFlight() == 0 })
	broker.Resume(t)
	paused = false

	// Each sender retries until its event is accepted.
	for i := range senders {
		wg.Go(func() {
			give := time.Now().Add(60 * time.Second)
			for try := 2; ; try++ {
				ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
				ack, err := s.Publish(ctx, event(ids[i], i))
				cancel()
				answers[i] = append(answers[i], answer{try, ack, err})
				if err == nil || time.Now().After(give) {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
	wg.Wait()

	count := countIDs(broker.Records(t, topic))
	tries := map[int]int{}
	for i, as := range answers {
		last := as[len(as)-1]
		if last.err != nil {
			t.Errorf("%s: still failing after 60s of retries: %v", ids[i], last.err)
		}
		tries[len(as)]++
		for _, a := range as {
			// The only success a sender gets is its last answer: no
			// earlier publish of the id was answered stored.
			if a.ack.Duplicate {
				t.Errorf("%s: try %d answered duplicate, but no earlier publish of it was answered stored", ids[i], a.try)
			}
		}
		if count[ids[i]] != 1 {
			t.Errorf("%s stored %d times, want once", ids[i], count[ids[i]])
		}
	}
	for i := range 8 {
		if id := fmt.Sprintf("warm-%d", i); count[id] != 1 {
			t.Errorf("%s stored %d times, want once", id, count[id])
		}
	}
	found, notFound := s.ReadBacks()
	t.Logf("records per ce_id: %s", formatCounts(count))
	t.Logf("senders by number of publishes to success: %v", tries)
	t.Logf("writes that timed out while the broker was stopped: %d found stored by the read-back, %d not found (written again on retry)", found, notFound)
	if found == 0 {
		t.Error("no write to the stopped broker was stored after it resumed: the test did not create the case it is about")
	}
}

func formatCounts(count map[string]int) string {
	ids := make([]string, 0, len(count))
	for id := range count {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []byte
	for _, id := range ids {
		out = fmt.Appendf(out, "%s=%d ", id, count[id])
	}
	return string(out)
}

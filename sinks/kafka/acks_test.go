package kafka_test

import (
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// Every produce request the sink sends waits for all in-sync replicas
// (acks=-1), on each of its write paths: events, dead letters (keyless),
// and a record written alone after the broker refused its batch as too
// large. kfake answers acks=1 as it answers acks=-1, so the test reads the
// requests as the broker received them.
func TestEveryWriteWaitsForAllInSyncReplicas(t *testing.T) {
	t.Parallel()
	cluster := kafkatest.Start(t)
	kf := cluster.Kfake()
	var mu sync.Mutex
	acks := map[int16]int{}
	kf.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		mu.Lock()
		acks[req.(*kmsg.ProduceRequest).Acks]++
		mu.Unlock()
		// Not handled: kept, and the cluster answers as usual.
		return nil, nil, false
	})
	s := openSink(t, cluster, kafka.Config{})
	if got := s.RequiredAcks(); got != kafkago.RequireAll {
		t.Errorf("the writer asks for acks %v, want %v (all in-sync replicas)", got, kafkago.RequireAll)
	}

	publish(t, s, message(prefix+".applicant_applied", "event"), 10*time.Second)
	publish(t, s, &sinks.Message{Topic: prefix + ".dlq", ID: "dead-letter", Body: []byte("{not json")}, 10*time.Second)
	tooLarge := kf.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.MessageTooLarge})
	publish(t, s, message(prefix+".applicant_applied", "written-alone"), 10*time.Second)
	if tooLarge.Hits() != 1 {
		t.Fatalf("the too-large fault answered %d produce requests, want 1: the record was not written alone", tooLarge.Hits())
	}

	mu.Lock()
	defer mu.Unlock()
	// The event, the dead letter, the batch refused and the record alone.
	if acks[-1] < 4 || len(acks) != 1 {
		t.Errorf("produce requests by acks: %v, want only -1 (at least 4)", acks)
	}
}

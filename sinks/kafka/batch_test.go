package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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

// keyed is n events over keys keys, interleaved, the i-th of a key with
// ids "<tag>-<key>-<i>", its body carrying i.
func keyed(topic, tag string, keys, n int) []*sinks.Message {
	ms := make([]*sinks.Message, 0, n)
	for i := range n {
		key := fmt.Sprintf("applicant-%d", i%keys)
		m := message(topic, fmt.Sprintf("%s-%s-%04d", tag, key, i/keys))
		m.Key, m.Event.Subject = key, key
		m.Body = []byte(`{"event":"applicant_applied","n":` + strconv.Itoa(i/keys) + `}`)
		ms = append(ms, m)
	}
	return ms
}

// publishAll publishes ms as the spool's forwarder does: in batches, the
// message a batch failed on alone with Publish, then the rest. It returns
// every answer, in order.
func publishAll(t *testing.T, s *kafka.Sink, ms []*sinks.Message) []sinks.Ack {
	t.Helper()
	var all []sinks.Ack
	for len(ms) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		acks, err := s.PublishBatch(ctx, ms)
		cancel()
		all, ms = append(all, acks...), ms[len(acks):]
		if err != nil {
			all = append(all, publish(t, s, ms[0], 10*time.Second))
			ms = ms[1:]
		}
	}
	return all
}

// checkStored fails unless every id of ms is on topic exactly once, the
// records of each key in ascending order.
func checkStored(t *testing.T, cluster *kafkatest.Cluster, topic string, ms []*sinks.Message) {
	t.Helper()
	recs := cluster.Records(t, topic)
	count := countIDs(recs)
	for _, m := range ms {
		if c := count[m.ID]; c != 1 {
			t.Errorf("%s is on the topic %d times, want once", m.ID, c)
		}
	}
	if len(recs) != len(ms) {
		t.Errorf("%d records on the topic, want %d", len(recs), len(ms))
	}
	last := map[string]int{}
	for _, r := range recs {
		id, _ := r.Header("ce_id")
		cut := strings.LastIndexByte(id, '-')
		key := id[:cut]
		n, _ := strconv.Atoi(id[cut+1:])
		if prev, ok := last[key]; ok && n <= prev {
			t.Errorf("%s stored after n=%d of its key: order broken", id, prev)
		}
		last[key] = n
	}
}

// A batch over several partitions is stored whole, in order per key, each
// record answered new; the dedup window learnt every id, so the same batch
// again is answered duplicate without a second record.
func TestPublishBatchStoresInOrderOnce(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{Partitions: 3})
	topic := prefix + ".applicant_applied"
	ms := keyed(topic, "b", 12, 600)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	acks, err := s.PublishBatch(ctx, ms)
	if err != nil || len(acks) != len(ms) {
		t.Fatalf("PublishBatch: %d acks, %v; want %d and no error", len(acks), err, len(ms))
	}
	for i, a := range acks {
		if a.Duplicate {
			t.Fatalf("message %d answered duplicate on its first publish", i)
		}
	}
	if n := s.Remembered(); n < len(ms) {
		t.Errorf("the dedup window remembers %d ids after a batch of %d", n, len(ms))
	}
	acks, err = s.PublishBatch(ctx, ms)
	if err != nil || len(acks) != len(ms) {
		t.Fatalf("PublishBatch again: %d acks, %v", len(acks), err)
	}
	for i, a := range acks {
		if !a.Duplicate {
			t.Fatalf("message %d published again not answered duplicate", i)
		}
	}
	checkStored(t, cluster, topic, ms)
}

// failProduce makes the broker refuse the next produce request with code,
// storing nothing, and returns the partition it refused.
func failProduce(cluster *kafkatest.Cluster, code int16) *atomic.Int32 {
	failed := &atomic.Int32{}
	failed.Store(-1)
	cluster.Kfake().ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		req := r.(*kmsg.ProduceRequest)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition, sp.ErrorCode = rp.Partition, code
				st.Partitions = append(st.Partitions, sp)
				failed.Store(rp.Partition)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	return failed
}

// One partition's request refused in the middle of a batch: the prefix up
// to its first record is acknowledged, none of its records is stored (so
// none can be stored ahead of the refused one), the other partitions'
// records are, beyond the prefix too. Published again, nothing is stored
// twice, every key stays in order, and no record is answered duplicate:
// none had been answered stored.
func TestPublishBatchFailingPartitionKeepsOrder(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{Partitions: 3})
	topic := prefix + ".applicant_applied"
	// Warm: the topic's metadata is cached, so the batch is its only
	// produce requests.
	publish(t, s, message(prefix+".job_created", "warm"), 10*time.Second)
	ms := keyed(topic, "p", 12, 240)
	failed := failProduce(cluster, kerr.NotEnoughReplicas.Code)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	acks, err := s.PublishBatch(ctx, ms)
	cancel()
	if !errors.Is(err, sinks.ErrUnavailable) {
		t.Fatalf("PublishBatch with a partition refused: %d acks, %v; want ErrUnavailable", len(acks), err)
	}
	p := failed.Load()
	stored := countIDs(cluster.Records(t, topic))
	first := -1
	for i, m := range ms {
		inFailed := stored[m.ID] == 0
		if inFailed && first < 0 {
			first = i
		}
		if c := stored[m.ID]; c > 1 {
			t.Errorf("%s stored %d times", m.ID, c)
		}
	}
	if first < 0 {
		t.Fatalf("every record stored though partition %d was refused", p)
	}
	if len(acks) != first {
		t.Fatalf("%d acks, want %d: the prefix before partition %d's first record", len(acks), first, p)
	}
	if len(stored) == 0 || len(stored) == len(ms) {
		t.Fatalf("%d of %d records stored: want the other partitions' only", len(stored), len(ms))
	}
	beyond := 0
	for _, m := range ms[first:] {
		beyond += stored[m.ID]
	}
	if beyond == 0 {
		t.Fatal("no record beyond the prefix was stored: the test did not exercise a failure in the middle")
	}

	for i, a := range publishAll(t, s, ms[first:]) {
		if a.Duplicate {
			t.Errorf("%s answered duplicate, though no publish was answered that it was stored", ms[first+i].ID)
		}
	}
	checkStored(t, cluster, topic, ms)
}

// A batch that gets no answer (a broker that hangs) fails when its caller
// stops waiting, not after the publish timeout, its outcome unknown;
// published again, every record is read back before it is written again:
// each stored once, in order per key.
func TestPublishBatchUnansweredStoresOnce(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{Partitions: 3, AckTimeout: 3 * time.Second})
	topic := prefix + ".applicant_applied"
	publish(t, s, message(prefix+".job_created", "warm"), 10*time.Second)
	ms := keyed(topic, "u", 6, 60)
	swallowed, answer := hangProduce(cluster)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	acks, err := s.PublishBatch(ctx, ms)
	took := time.Since(start)
	cancel()
	if len(acks) != 0 || !errors.Is(err, sinks.ErrUnavailable) {
		t.Fatalf("PublishBatch to a hung broker: %d acks, %v; want none and ErrUnavailable", len(acks), err)
	}
	if took > 2*time.Second {
		t.Errorf("PublishBatch returned %s after it was called, its context cancelled after 500ms: it waited for the publish timeout", took)
	}
	if swallowed.Load() == 0 {
		t.Fatal("the broker saw no produce request")
	}
	answer()
	publishAll(t, s, ms)
	checkStored(t, cluster, topic, ms)
	if found, notFound := s.ReadBacks(); found+notFound == 0 {
		t.Error("no read-back: records whose answer never came were written again unchecked")
	}
}

// hangProduce makes the broker read produce requests and never answer them
// until answer is called; it returns how many it swallowed.
func hangProduce(cluster *kafkatest.Cluster) (swallowed *atomic.Int64, answer func()) {
	swallowed = &atomic.Int64{}
	var hang atomic.Bool
	hang.Store(true)
	kf := cluster.Kfake()
	kf.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		if !hang.Load() {
			kf.DropControl()
			return nil, nil, false
		}
		kf.KeepControl()
		swallowed.Add(1)
		return nil, nil, true
	})
	return swallowed, func() { hang.Store(false) }
}

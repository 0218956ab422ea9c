package kafka_test

import (
	"math/rand/v2"
	"testing"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// javaMurmur2 are murmur2 hashes computed by the Java client
// (org.apache.kafka.common.utils.Utils.murmur2, from its UtilsTest).
var javaMurmur2 = map[string]int32{
	"21":                         -973932308,
	"foobar":                     -790332482,
	"a-little-bit-long-string":   -985981536,
	"a-little-bit-longer-string": -1486304829,
	"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
	"abc": 479470107,
}

// javaPartition is the Java default partitioner for a keyed record:
// Utils.toPositive(Utils.murmur2(key)) % numPartitions.
func javaPartition(hash int32, n int) int { return int(uint32(hash)&0x7fffffff) % n }

func partitions(n int) []int {
	ps := make([]int, n)
	for i := range ps {
		ps[i] = i
	}
	return ps
}

func TestBalancerMatchesJavaPartitioner(t *testing.T) {
	for key, hash := range javaMurmur2 {
		for _, n := range []int{1, 2, 3, 5, 6, 7, 10, 12, 16, 31, 64, 100, 997} {
			got := kafkago.Murmur2Balancer{}.Balance(kafkago.Message{Key: []byte(key)}, partitions(n)...)
			if want := javaPartition(hash, n); got != want {
				t.Errorf("key %q over %d partitions: kafka-go %d, Java %d", key, n, got, want)
			}
		}
	}
}

// franz-go's default partitioner is murmur2 as Java's too: agreeing on many
// keys guards against a slip in either port.
func TestBalancerMatchesFranzGo(t *testing.T) {
	franz := kgo.StickyKeyPartitioner(nil).ForTopic("t")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		key := make([]byte, rng.IntN(40)+1)
		for j := range key {
			key[j] = byte(rng.IntN(256))
		}
		n := rng.IntN(50) + 1
		got := kafkago.Murmur2Balancer{}.Balance(kafkago.Message{Key: key}, partitions(n)...)
		if want := franz.Partition(&kgo.Record{Key: key}, n); got != want {
			t.Fatalf("case %d: key %x over %d partitions: kafka-go %d, franz-go %d", i, key, n, got, want)
		}
	}
}

func TestRecordsLandOnTheJavaPartition(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{Partitions: 7})
	topic := prefix + ".applicant_applied"
	for key := range javaMurmur2 {
		m := &sinks.Message{Topic: topic, ID: "id-" + key, Key: key, Body: []byte(`{}`)}
		if _, err := s.Publish(t.Context(), m); err != nil {
			t.Fatalf("publishing key %q: %v", key, err)
		}
	}
	recs := cluster.Records(t, topic)
	if len(recs) != len(javaMurmur2) {
		t.Fatalf("%d records, want %d", len(recs), len(javaMurmur2))
	}
	for _, r := range recs {
		want := javaPartition(javaMurmur2[string(r.Key)], 7)
		if int(r.Partition) != want {
			t.Errorf("key %q on partition %d, Java puts it on %d", r.Key, r.Partition, want)
		}
	}
}

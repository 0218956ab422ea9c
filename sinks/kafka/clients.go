package kafka

import (
	"context"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// This file translates a Config into kafka-go's Transport and Client,
// saying why each setting differs from kafka-go's default; the producer
// (producer.go) sends the records.

// transport connects to the brokers with c's client id, SASL and TLS;
// cancel stops its background metadata refresh.
func (c Config) transport(dialTimeout time.Duration) (*kafkago.Transport, context.CancelFunc, error) {
	mech, err := c.SASL.mechanism()
	if err != nil {
		return nil, nil, err
	}
	tc, err := c.TLS.config()
	if err != nil {
		return nil, nil, err
	}
	bg, cancel := context.WithCancel(context.Background())
	return &kafkago.Transport{
		ClientID:    c.ClientID,
		DialTimeout: dialTimeout,
		SASL:        mech,
		TLS:         tc,
		Context:     bg,
	}, cancel, nil
}

// attemptTimeout is how long one produce request may go unanswered: the
// publish timeout, so an answer arriving before the caller gives up is
// never thrown away.
func attemptTimeout(ack time.Duration) time.Duration {
	return max(ack, 100*time.Millisecond)
}

// attempt travels with a record as its WriterData: the balancer notes the
// partition there. Balance runs in the goroutine that writes the record
// (producer.write), so no lock is needed.
type attempt struct{ partition int }

// partitionRecorder is the Java-compatible murmur2 balancer, noting the
// partition it picks. Murmur2 on the key, as the Java client's default
// partitioner, so records of one key land on the partition other
// producers use for it: kafka-go ports Java's murmur2 and its
// positive-modulo (segmentio/kafka-go#142, #581). Consistent stays false:
// keyless records (dead letters) spread at random instead of all hashing
// to one partition, as librdkafka's murmur2_random.
type partitionRecorder struct{ kafkago.Murmur2Balancer }

func (b partitionRecorder) Balance(msg kafkago.Message, partitions ...int) int {
	p := b.Murmur2Balancer.Balance(msg, partitions...)
	if a, ok := msg.WriterData.(*attempt); ok {
		a.partition = p
	}
	return p
}

package kafka

import (
	"context"
	"net"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// This file translates a Config into kafka-go's Transport, Writer and
// Client, saying why each setting differs from kafka-go's default.

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

// writer is the one Writer every publish shares, over transport.
func (c Config) writer(addr net.Addr, transport *kafkago.Transport, attempt time.Duration, codec kafkago.Compression) *kafkago.Writer {
	// Transport and Client have no logger: kafka-go reports their errors
	// only as return values. The Writer's two loggers are its only
	// callbacks that print (kafka-go's log.Printf calls are in Reader,
	// ConsumerGroup and Conn batch reading, which the sink does not use).
	log := c.Log
	return &kafkago.Writer{
		Addr:      addr,
		Transport: transport,
		// Murmur2 on the key, as the Java client's default partitioner,
		// so records of one key land on the partition other producers use
		// for it. kafka-go ports Java's murmur2 and its positive-modulo
		// (segmentio/kafka-go#142, #581). Consistent stays false: keyless
		// records (dead letters) spread at random instead of all hashing
		// to one partition, as librdkafka's murmur2_random. The wrapper
		// notes the partition picked, for read-backs.
		Balancer: partitionRecorder{},
		// kafka-go's default is RequireNone, fire-and-forget
		// (segmentio/kafka-go#678): a 2xx would promise nothing.
		RequiredAcks: kafkago.RequireAll,
		// kafka-go's default of one second makes every lone request wait
		// that long (segmentio/kafka-go#1180, #326). A few milliseconds
		// still let concurrent publishes share a produce request: the
		// writer appends each WriteMessages call to the partition's open
		// batch, which is sent when full or when its timer fires.
		BatchTimeout: c.BatchTimeout,
		Compression:  codec,
		MaxAttempts:  1,
		// The one attempt may take the whole publish timeout: Writer.produce
		// bounds each produce request by WriteTimeout.
		ReadTimeout:  attempt,
		WriteTimeout: attempt,
		// Async stays false: in async mode kafka-go drops delivery
		// errors, and a record could be reported stored when it is not.
		Async:       false,
		Logger:      kafkago.LoggerFunc(func(format string, args ...any) { log.Trace().Msgf(format, args...) }),
		ErrorLogger: kafkago.LoggerFunc(func(format string, args ...any) { log.Warn().Msgf(format, args...) }),
	}
}

// attempt travels with a record through kafka-go as its WriterData: the
// balancer notes the partition there. Balance runs in the goroutine that
// calls WriteMessages (writer.go, WriteMessages), so no lock is needed.
type attempt struct{ partition int }

// partitionRecorder is the Java-compatible murmur2 balancer, noting the
// partition it picks.
type partitionRecorder struct{ kafkago.Murmur2Balancer }

func (b partitionRecorder) Balance(msg kafkago.Message, partitions ...int) int {
	p := b.Murmur2Balancer.Balance(msg, partitions...)
	if a, ok := msg.WriterData.(*attempt); ok {
		a.partition = p
	}
	return p
}

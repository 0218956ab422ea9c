package kafka

import (
	"context"
	"io"
	"sync"
	"sync/atomic"

	"github.com/rs/zerolog"
	kafkago "github.com/segmentio/kafka-go"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
)

// producer sends Publish's records, each in a produce request of its
// partition shared with the records that arrived while the partition's
// requests before it were in flight ("natural batching", as librdkafka and
// the Java client with linger 0).
//
// It replaces kafka-go's Writer (docs/performance.md). The Writer also
// sends one produce request per partition at a time (writer.go,
// partitionWriter.writeBatches), but a synchronous WriteMessages first
// waits BatchTimeout for its batch to fill, and every batch passes through
// the partition's goroutine and a goroutine of its own: under load each
// record waited the timer, then the batches queued ahead of it, each
// hand-off waiting for a core. Here a record for a partition with no
// request in flight is sent at once, from the caller's goroutine; the
// records that arrive meanwhile go together in the next request, sent as
// soon as that one is answered.
//
// What the sink's truthfulness rests on is as with the Writer: one attempt
// per request, acks=all, no retry of its own (publish.go retries only what
// stored nothing), and errors shaped as WriteMessages shaped them, so judge
// reads them the same way: refused before sending as the error itself, a
// request's failure as a WriteErrors of one.
type producer struct {
	client *kafkago.Client
	codec  kafkago.Compression
	// log gets a line per request at trace and per failed request at
	// warn, as the Writer's Logger and ErrorLogger printed them.
	log zerolog.Logger

	mu     sync.Mutex
	parts  map[topicPartition]*partQueue
	closed bool
	// drains are the goroutines sending records that arrived while every
	// slot of their partition was busy.
	drains sync.WaitGroup

	writes, messages, errors atomic.Int64
}

// partitionInFlight bounds the produce requests of one partition in
// flight at once. One, as the Writer: a broker that pauses then holds at
// most one request of each partition it leads, whose records the
// read-back's barrier (resolve.go) settles; two in flight measured a
// little faster at 64 concurrent callers, but once let a record be stored
// twice through a paused leader (TestLeaderChangesUnderLoadLoseNothing,
// one run in four). It also keeps a partition's records in the order they
// were queued.
const partitionInFlight = 1

// maxRequestBytes bounds the records of one produce request: kafka-go's
// Writer's default BatchBytes, below the broker's default
// message.max.bytes (1 MiB plus overhead). A record larger than it alone
// is refused before sending, as the Writer did.
const maxRequestBytes = 1 << 20

// requiredAcks is what every produce request waits for. kafka-go's
// Writer's default is RequireNone, fire-and-forget
// (segmentio/kafka-go#678): a 2xx would promise nothing.
const requiredAcks = kafkago.RequireAll

// partQueue is one partition's records waiting for a request, and its
// requests in flight. Guarded by producer.mu. It exists while either is
// non-zero: an idle topic costs nothing.
type partQueue struct {
	waiting []*queued
	sending int
}

// queued is a record waiting for its request's outcome.
type queued struct {
	rec  kafkago.Record
	size int
	// stored, when not nil, is called by the goroutine that sent the
	// record as soon as the broker acked it, before done: the caller
	// waiting for the publish is answered one goroutine switch earlier
	// than through the writer's own wake-up, which on a busy process
	// waits its turn for a core.
	stored func()
	done   chan error
}

func newProducer(client *kafkago.Client, codec kafkago.Compression, log zerolog.Logger) *producer {
	return &producer{client: client, codec: codec, log: log, parts: make(map[topicPartition]*partQueue)}
}

// write sends r to the partition the balancer picks for it (noted in its
// attempt) and returns once the broker answered its request or the
// request failed; stored, if not nil, is called first when the broker
// acked r. ctx bounds only the partition lookup, before anything is sent:
// once queued, a record's outcome is always waited for, so it is known
// whether it may have been stored.
func (p *producer) write(ctx context.Context, r kafkago.Message, stored func()) error {
	size := recordSize(&r)
	if size > maxRequestBytes {
		return kafkago.MessageTooLargeError{Message: r}
	}
	n, err := p.partitions(ctx, r.Topic)
	if err != nil {
		return err
	}
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	tp := topicPartition{r.Topic, partitionRecorder{}.Balance(r, ids...)}
	q := &queued{
		rec: kafkago.Record{
			Time:    r.Time,
			Key:     kafkago.NewBytes(r.Key),
			Value:   kafkago.NewBytes(r.Value),
			Headers: r.Headers,
		},
		size:   size,
		stored: stored,
		done:   make(chan error, 1),
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return io.ErrClosedPipe
	}
	pq := p.parts[tp]
	if pq == nil {
		pq = &partQueue{}
		p.parts[tp] = pq
	}
	pq.waiting = append(pq.waiting, q)
	send := pq.sending < partitionInFlight
	if send {
		pq.sending++
	}
	p.mu.Unlock()
	if send && p.sendOne(tp, pq) {
		// Records arrived behind this one's request: sending them is
		// not this caller's wait.
		p.drains.Go(func() {
			for p.sendOne(tp, pq) {
			}
		})
	}
	return <-q.done
}

// sendOne sends, in one request, the records waiting for tp (up to
// maxRequestBytes) with a slot the caller holds, and tells each its
// outcome. It returns true, keeping the slot, when more records wait.
func (p *producer) sendOne(tp topicPartition, pq *partQueue) bool {
	p.mu.Lock()
	batch := take(pq)
	p.mu.Unlock()
	var err error
	if len(batch) > 0 {
		err = p.produce(tp, batch)
	}
	p.mu.Lock()
	more := len(pq.waiting) > 0
	if !more {
		pq.sending--
		if pq.sending == 0 && p.parts[tp] == pq {
			delete(p.parts, tp)
		}
	}
	p.mu.Unlock()
	for _, q := range batch {
		if err == nil && q.stored != nil {
			q.stored()
		}
		q.done <- err
	}
	return more
}

// take removes from pq the records of its next request, oldest first: at
// least one, then as many as fit in maxRequestBytes.
func take(pq *partQueue) []*queued {
	n, bytes := 0, 0
	for n < len(pq.waiting) && (n == 0 || bytes+pq.waiting[n].size <= maxRequestBytes) {
		bytes += pq.waiting[n].size
		n++
	}
	batch := make([]*queued, n)
	copy(batch, pq.waiting)
	clear(pq.waiting[:n])
	pq.waiting = pq.waiting[n:]
	if len(pq.waiting) == 0 {
		// Let the backing array go rather than creep along it.
		pq.waiting = nil
	}
	return batch
}

// produce writes batch to tp in one request, acks=all, one attempt bounded
// by the client's timeout (the publish timeout), and reports its outcome as
// WriteMessages reported a batch's.
func (p *producer) produce(tp topicPartition, batch []*queued) error {
	recs := make([]kafkago.Record, len(batch))
	for i, q := range batch {
		recs[i] = q.rec
	}
	p.log.Trace().Msgf("writing %d messages to %s (partition: %d)", len(batch), tp.topic, tp.partition)
	ctx, cancel := context.WithTimeout(context.Background(), p.client.Timeout)
	defer cancel()
	res, err := p.client.Produce(ctx, &kafkago.ProduceRequest{
		Topic:        tp.topic,
		Partition:    tp.partition,
		RequiredAcks: requiredAcks,
		Compression:  p.codec,
		Records:      kafkago.NewRecordReader(recs...),
	})
	if err == nil {
		err = res.Error
	}
	p.writes.Add(1)
	p.messages.Add(int64(len(batch)))
	if err == nil {
		return nil
	}
	p.errors.Add(1)
	p.log.Warn().Msgf("error writing messages to %s (partition %d): %s", tp.topic, tp.partition, err)
	return kafkago.WriteErrors{err}
}

// partitions is the number of partitions of topic, from the transport's
// metadata cache, as the Writer asked it (writer.go, Writer.partitions):
// no request to the broker unless the cache lacks the topic.
func (p *producer) partitions(ctx context.Context, topic string) (int, error) {
	r, err := p.client.Transport.RoundTrip(ctx, p.client.Addr, &metadataAPI.Request{TopicNames: []string{topic}})
	if err != nil {
		return 0, err
	}
	for _, t := range r.(*metadataAPI.Response).Topics {
		if t.Name == topic {
			if t.ErrorCode != 0 {
				return 0, kafkago.Error(t.ErrorCode)
			}
			if len(t.Partitions) == 0 {
				break
			}
			return len(t.Partitions), nil
		}
	}
	return 0, kafkago.UnknownTopicOrPartition
}

// recordSize is r's size in a request as kafka-go's Writer counted it
// against BatchBytes (message.go, Message.totalSize): its key, value and
// headers with their lengths, and a record's fixed fields.
func recordSize(r *kafkago.Message) int {
	n := 4 + 1 + 1 + 4 + len(r.Key) + 4 + len(r.Value) + 8 + 4
	for _, h := range r.Headers {
		n += 4 + len(h.Key) + 4 + len(h.Value)
	}
	return n
}

// queues is the number of partitions with records waiting or in flight.
func (p *producer) queues() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.parts)
}

// stats are the producer's counters since the previous call, in the
// Writer's terms.
func (p *producer) stats() kafkago.WriterStats {
	return kafkago.WriterStats{
		Writes:   p.writes.Swap(0),
		Messages: p.messages.Swap(0),
		Errors:   p.errors.Swap(0),
	}
}

// close refuses further records and waits for the drains, which end once
// their partitions have nothing waiting. Nothing is in flight by then
// (Close waited for the publishes, or cut their connections).
func (p *producer) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.drains.Wait()
}

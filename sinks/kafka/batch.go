package kafka

import (
	"context"
	"fmt"
	"slices"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/hirebridge/hirebridge/sinks"
)

var _ sinks.BatchPublisher = (*Sink)(nil)

// maxBatchBytes bounds the records of one partition in one produce request
// of a batch, well below the broker's default message.max.bytes (1 MiB),
// which limits a record batch. A partition's records beyond it wait for
// the next batch.
const maxBatchBytes = 512 << 10

// recordOverhead is what a record costs in a batch beside its key, value
// and headers (varints, attributes, offsets): an estimate, on the safe
// side.
const recordOverhead = 32

// PublishBatch writes ms, in order, as one produce request per partition
// (acks=all): a backlog goes at many records per round trip where Publish
// waits one round trip for each.
//
// Order without a second copy. The records of a partition go in one
// produce request, a single record batch, which the broker appends whole
// or not at all, and nothing here writes again: so a failure leaves none of
// that partition's later records stored, and the records of one key (one
// partition) stay in order whatever fails. Publish's path is not used for
// them: it shares a partition's requests with concurrent callers, several
// in flight at once, and a later request could be stored after an earlier
// one failed. Other partitions' records may be stored beyond the
// acknowledged prefix; the dedup window learns each of them (finishWrite)
// as it learns a Publish's, so publishing them again answers from the
// window without writing (answered new: nobody was told they were
// stored), and a record whose answer never came is read back (resolve.go)
// before anything writes it again. Beyond the window (DedupSize, DedupAge)
// a record would be written again, as any retry would: the spool sends the
// rest at once.
//
// A batch stops before a message whose id is being written or read back
// (it waits for that outcome through Publish when it is the first), and
// before a partition's records would exceed maxBatchBytes. What needs
// healing (a topic to create again, a leader moved, a batch the broker
// finds too large) is left to Publish, which the spool's forwarder calls
// for the message the batch stopped on.
func (s *Sink) PublishBatch(ctx context.Context, ms []*sinks.Message) ([]sinks.Ack, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	if !s.gate.Enter() {
		return nil, fmt.Errorf("publishing %s: %w", ms[0].Topic, sinks.ErrClosed)
	}
	defer s.gate.Leave()
	ms, err := s.batchable(ctx, ms)
	if len(ms) == 0 {
		return nil, err
	}
	b, perr := s.placeBatch(ctx, ms)
	if len(b.items) == 0 {
		return nil, perr
	}
	if last := len(b.items) - 1; b.items[last].role == wait {
		if last == 0 {
			// The first message's earlier write is being settled:
			// Publish waits for its outcome and answers truthfully.
			ack, err := s.Publish(ctx, ms[0])
			if err != nil {
				return nil, err
			}
			return []sinks.Ack{ack}, nil
		}
		// Not written by this batch (joining it changed nothing): the
		// next batch starts with it.
		b.items = b.items[:last]
	}
	// The writes outlive ctx, as Publish's do (start): their outcome still
	// decides what the dedup window remembers, so a record whose answer
	// comes after the caller gave up is never written again unchecked.
	// They hold the gate until settled: Close waits for them, or cuts
	// their connections.
	if !s.gate.Enter() {
		return nil, b.abandoned(s, fmt.Errorf("publishing %s: %w", ms[0].Topic, sinks.ErrClosed))
	}
	type result struct {
		acks []sinks.Ack
		err  error
	}
	done := make(chan result, 1)
	go func() {
		defer s.gate.Leave()
		s.writeBatch(ctx, &b)
		acks, err := b.settle(s)
		done <- result{acks, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || len(r.acks) < len(ms) {
			// Failed, or cut (for size, or before a message to wait
			// for): the rest goes in the next batch.
			return r.acks, r.err
		}
		// All of ms stored; err is why the message after them was left
		// out.
		return r.acks, err
	case <-ctx.Done():
		acks := b.stopLeading(s)
		switch {
		case len(acks) < len(b.items):
			return acks, fmt.Errorf("publishing %s: no ack: %w: %w", b.items[len(acks)].m.Topic, sinks.ErrUnavailable, ctx.Err())
		case len(acks) < len(ms):
			return acks, nil
		default:
			// All stored as the caller stopped waiting.
			return acks, err
		}
	}
}

// stopLeading gives up waiting for the batch, whose caller's ctx ended: it
// returns the acks of the prefix already stored on the caller's behalf,
// and leaves every other record to be answered new by whoever publishes it
// next, once its write settles.
func (b *batch) stopLeading(s *Sink) []sinks.Ack {
	acks := make([]sinks.Ack, 0, len(b.items))
	answering := true
	for i := range b.items {
		// By pointer: the writes may still be setting the records'
		// timestamps.
		it := &b.items[i]
		// Every lead is told, answered or not.
		if it.role == lead && !s.dedup.stopLeading(it.o) {
			answering = false
		}
		if answering {
			acks = append(acks, sinks.Ack{Duplicate: it.role == duplicate})
		}
	}
	return acks
}

// abandoned settles the records the batch joined as leader, none written,
// and returns err.
func (b *batch) abandoned(s *Sink, err error) error {
	for _, it := range b.items {
		if it.role == lead {
			s.dedup.finishWrite(it.e, it.o, notWritten, err)
		}
	}
	return err
}

// batchable is the prefix of ms the sink can write now: topic names Kafka
// takes, on topics that exist (created when missing). The error is that
// of the first message left out, if any.
func (s *Sink) batchable(ctx context.Context, ms []*sinks.Message) ([]*sinks.Message, error) {
	ensured := map[string]bool{}
	for i, m := range ms {
		if ensured[m.Topic] {
			continue
		}
		if err := checkTopic(m.Topic); err != nil {
			return ms[:i], fmt.Errorf("publishing %q: not a Kafka topic name: %w: %w", m.Topic, sinks.ErrRefused, err)
		}
		if err := s.topics.ensure(ctx, m.Topic); err != nil {
			return ms[:i], classify(m.Topic, err)
		}
		ensured[m.Topic] = true
	}
	return ms, nil
}

// batch is a PublishBatch in progress.
type batch struct {
	items []batchItem
	// parts are the produce requests, one per topic-partition, each with
	// its items' indexes in order.
	parts map[topicPartition]*partBatch
}

type batchItem struct {
	m    *sinks.Message
	r    kafkago.Message
	tp   topicPartition
	e    *entry
	o    *op
	role role
}

type partBatch struct {
	idx   []int
	bytes int
	// how and cause are the produce request's outcome.
	how   outcome
	cause error
}

// placeBatch renders ms as records, picks each one's partition as the
// writers would (so a key's records land where Publish puts them), and
// joins each id in the dedup window, in order. It stops before a record
// that would make its partition's request exceed maxBatchBytes, and after
// the first id that must wait (waitAt).
func (s *Sink) placeBatch(ctx context.Context, ms []*sinks.Message) (batch, error) {
	b := batch{parts: map[topicPartition]*partBatch{}}
	parts, err := s.partitions(ctx, ms)
	if err != nil {
		return b, err
	}
	var balancer partitionRecorder
	for _, m := range ms {
		r := record(m)
		tp := topicPartition{m.Topic, balancer.Balance(r, parts[m.Topic]...)}
		size := recordOverhead + len(r.Key) + len(r.Value)
		for _, h := range r.Headers {
			size += len(h.Key) + len(h.Value) + 2
		}
		pb := b.parts[tp]
		if pb == nil {
			pb = &partBatch{}
			b.parts[tp] = pb
		}
		if len(pb.idx) > 0 && pb.bytes+size > maxBatchBytes {
			break
		}
		e, o, role := s.dedup.join(m.ID)
		b.items = append(b.items, batchItem{m: m, r: r, tp: tp, e: e, o: o, role: role})
		if role == wait {
			// Not written by this batch: nothing after it may be
			// either, or it could be stored ahead of this one.
			break
		}
		if role == lead {
			pb.idx = append(pb.idx, len(b.items)-1)
			pb.bytes += size
		}
	}
	return b, nil
}

// partitions are the partitions of ms's topics, as the writers give them
// to the balancer, from the client's metadata cache.
func (s *Sink) partitions(ctx context.Context, ms []*sinks.Message) (map[string][]int, error) {
	var topics []string
	for _, m := range ms {
		if !slices.Contains(topics, m.Topic) {
			topics = append(topics, m.Topic)
		}
	}
	md, err := s.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, classify(ms[0].Topic, fmt.Errorf("metadata: %w", err))
	}
	out := make(map[string][]int, len(topics))
	for _, t := range md.Topics {
		if t.Error != nil || len(t.Partitions) == 0 {
			continue
		}
		// 0 to n-1, as the writers give them to the balancer
		// (writer.go, loadCachedPartitions).
		ids := make([]int, len(t.Partitions))
		for i := range ids {
			ids[i] = i
		}
		out[t.Name] = ids
	}
	for _, t := range topics {
		if len(out[t]) == 0 {
			return nil, classify(t, fmt.Errorf("topic %s: no partitions in the metadata: %w", t, kafkago.UnknownTopicOrPartition))
		}
	}
	return out, nil
}

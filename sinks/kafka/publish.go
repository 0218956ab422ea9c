package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/hirebridge/hirebridge/internal/backoff"
	"github.com/hirebridge/hirebridge/sinks"
)

// Retry policy. The producer makes one attempt per produce request
// (producer.go): kafka-go's Writer's retries resent a batch whose first
// attempt timed out, and a broker that was only slow then stored it twice
// (writer.go, partitionWriter.writeBatch retries any temporary or network
// error, timeouts included). The sink writes again only after a failure that
// stored nothing (the broker refused the record, or it was never sent), at
// most maxTries times within the publish's deadline, waiting backoffMin to
// backoffMax between tries (jittered: records that failed together are not
// written again together, internal/backoff); a write whose answer never
// came is settled by reading the partition back (resolve.go). The HTTP
// sender's retry is the retry for everything else.
const (
	maxTries   = 3
	backoffMin = 20 * time.Millisecond
	backoffMax = 200 * time.Millisecond
)

// Publish writes m to m.Topic, creating the topic on first use (and again
// if it disappeared), and returns once the broker acked the record with
// acks=all.
//
// The answer is Ack{Duplicate: true} only when an earlier publish of m.ID
// was already answered as stored. A publish of an id whose write is in
// flight, or whose write got no answer, waits for that write's outcome,
// settled by a read-back for the latter (bounded by ctx): it never writes a
// second record while the first may yet be stored.
func (s *Sink) Publish(ctx context.Context, m *sinks.Message) (sinks.Ack, error) {
	if err := checkTopic(m.Topic); err != nil {
		// No retry can cure a name Kafka refuses (the broker would answer
		// INVALID_TOPIC_EXCEPTION), and other topics are still written.
		return sinks.Ack{}, fmt.Errorf("publishing %q: not a Kafka topic name: %w: %w", m.Topic, sinks.ErrRefused, err)
	}
	for {
		if s.gate.Closed() {
			return sinks.Ack{}, fmt.Errorf("publishing %s: %w", m.Topic, sinks.ErrClosed)
		}
		e, o, r := s.dedup.join(m.ID)
		switch r {
		case fresh:
			return sinks.Ack{}, nil
		case duplicate:
			return sinks.Ack{Duplicate: true}, nil
		case lead:
			if err := s.start(ctx, e, o, m); err != nil {
				return sinks.Ack{}, err
			}
		}
		leader := r == lead
		select {
		case <-o.done:
		case <-ctx.Done():
			if leader {
				if s.dedup.stopLeading(o) {
					return sinks.Ack{}, nil
				}
				return sinks.Ack{}, fmt.Errorf("publishing %s: no ack: %w: %w", m.Topic, sinks.ErrUnavailable, ctx.Err())
			}
			return sinks.Ack{}, fmt.Errorf("publishing %s: waiting for the outcome of an earlier write of the same event: %w: %w", m.Topic, sinks.ErrUnavailable, ctx.Err())
		}
		switch err := o.err; {
		case err == nil:
			return sinks.Ack{Duplicate: s.dedup.claim(e, o, leader) == duplicate}, nil
		case errors.Is(err, errUnknownOutcome), errors.Is(err, errNotStored):
			// Wait for the read-back, or write the record again.
		case leader, sinks.Permanent(err), errors.Is(err, sinks.ErrClosed):
			// The leader's write already retried what could be, and no
			// write of a refused record can pass.
			return sinks.Ack{}, err
		}
		// Another caller's write failed and stored nothing: write again.
	}
}

// start launches the write of m for op o, which the caller leads: it makes
// sure the topic exists and takes an in-flight slot, both bounded by ctx.
// The write itself outlives ctx: its outcome still decides whether the id
// is remembered, so a retry arriving while kafka-go is still waiting joins
// it rather than writing a second record.
func (s *Sink) start(ctx context.Context, e *entry, o *op, m *sinks.Message) error {
	if err := s.topics.ensure(ctx, m.Topic); err != nil {
		// A topic the broker refuses to create (authorization, policy,
		// name, settings) is final for this record; a broker that does
		// not answer is not.
		err = classify(m.Topic, err)
		s.dedup.finishWrite(e, o, notWritten, err)
		return err
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		err := fmt.Errorf("publishing %s: %d records in flight: %w: %w", m.Topic, cap(s.slots), sinks.ErrUnavailable, ctx.Err())
		s.dedup.finishWrite(e, o, notWritten, err)
		return err
	}
	if !s.gate.Enter() {
		<-s.slots
		err := fmt.Errorf("publishing %s: %w", m.Topic, sinks.ErrClosed)
		s.dedup.finishWrite(e, o, notWritten, err)
		return err
	}
	deadline := time.Now().Add(s.cfg.AckTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	go s.fly(e, o, record(m), m.Event != nil, deadline)
	return nil
}

// fly writes r until it is stored, fails, or its outcome is unknown, then
// settles o. It retries, before deadline, only failures that stored
// nothing, creating the topic again when the broker lost it.
func (s *Sink) fly(e *entry, o *op, r kafkago.Message, hasCE bool, deadline time.Time) {
	defer s.gate.Leave()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	retry := backoff.New(backoffMin, backoffMax)
	for try := 1; ; try++ {
		a := &attempt{partition: -1}
		r.WriterData = a
		// The timestamp a read-back searches from.
		r.Time = time.Now()
		// ctx bounds only the partition lookup: once the record is
		// queued, write waits for its request's outcome (one produce
		// request, bounded by the client's timeout), so it is known
		// whether it may have been stored. A stored record is settled
		// by the goroutine that got the ack, at once (producer.go).
		err := s.producer.write(ctx, r, func() {
			<-s.slots
			s.dedup.finishWrite(e, o, written, nil)
		})
		if err == nil {
			return
		}
		how, cause := judge(err)
		if how == notWritten && brokerTooLarge(cause) {
			// The broker's limit is on the batch, which may have held
			// other records: only r alone being refused makes r too
			// large.
			err = s.writeAlone(ctx, r, a.partition)
			how, cause = judge(err)
		}
		if how == unknown && a.partition < 0 {
			// Never balanced, so never batched nor sent.
			how = notWritten
		}
		if how == notWritten && retryable(cause) && try < maxTries && ctx.Err() == nil {
			if errors.Is(cause, kafkago.UnknownTopicOrPartition) {
				// Deleted, or the broker lost its store: create it
				// again with its settings, then write.
				s.topics.invalidate(r.Topic)
				s.ready.reset()
				if err := s.topics.ensure(ctx, r.Topic); err != nil {
					// Refused for good, or no answer in time:
					// either way this write ends, classified.
					<-s.slots
					s.dedup.finishWrite(e, o, notWritten, classify(r.Topic, err))
					return
				}
				continue
			}
			if staleLeader(cause) && s.leaders.refresh(ctx) {
				// Moved or gone: with the new leader learnt, write
				// again at once.
				continue
			}
			if retry.Wait(ctx) {
				continue
			}
		}
		<-s.slots
		if next := s.dedup.finishWrite(e, o, how, classify(r.Topic, err)); next != nil {
			s.resolver.add(topicPartition{r.Topic, a.partition}, e, next, r, hasCE)
		}
		return
	}
}

// writeAlone writes r by itself to partition p, outside the writer's
// batches, and reports the outcome as WriteMessages reports a batch's (a
// WriteErrors of one), for judge. Nothing of the refused batch was stored,
// so this is the record's only copy.
func (s *Sink) writeAlone(ctx context.Context, r kafkago.Message, p int) error {
	if err := ctx.Err(); err != nil {
		// Not sent: whether r alone fits is unknown, and a later try may
		// pass.
		return fmt.Errorf("no time left to write the record alone after its batch was too large: %w", err)
	}
	res, err := s.client.Produce(ctx, &kafkago.ProduceRequest{
		Topic:        r.Topic,
		Partition:    p,
		RequiredAcks: kafkago.RequireAll,
		Compression:  s.codec,
		Records: kafkago.NewRecordReader(kafkago.Record{
			Time:    r.Time,
			Key:     kafkago.NewBytes(r.Key),
			Value:   kafkago.NewBytes(r.Value),
			Headers: r.Headers,
		}),
	})
	if err == nil {
		err = res.Error
	}
	if err == nil {
		return nil
	}
	return kafkago.WriteErrors{err}
}

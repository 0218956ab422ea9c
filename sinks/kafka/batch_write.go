package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/hirebridge/hirebridge/sinks"
)

// A batch on the wire: one produce request per partition, and what each
// record's answer was.

// writeBatch sends the produce requests, concurrently, and notes each
// one's outcome; settle then tells the dedup window.
func (s *Sink) writeBatch(ctx context.Context, b *batch) {
	leads := 0
	for _, pb := range b.parts {
		leads += len(pb.idx)
	}
	if leads == 0 {
		return
	}
	// One slot for the batch: its records are held by the caller anyway
	// (the spool reads them in bounded pages).
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		err := fmt.Errorf("publishing %s: %d records in flight: %w: %w", b.items[0].m.Topic, cap(s.slots), sinks.ErrUnavailable, ctx.Err())
		for _, pb := range b.parts {
			pb.how, pb.cause = notWritten, err
		}
		return
	}
	defer func() { <-s.slots }()
	deadline := time.Now().Add(s.cfg.AckTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	// Not ctx alone: a request cut short by the caller has an unknown
	// outcome, read back; the deadline is the publish timeout's as for
	// Publish.
	pctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	var wg sync.WaitGroup
	now := time.Now()
	for tp, pb := range b.parts {
		if len(pb.idx) == 0 {
			continue
		}
		recs := make([]kafkago.Record, len(pb.idx))
		for i, at := range pb.idx {
			it := &b.items[at]
			// The timestamp a read-back searches from.
			it.r.Time = now
			recs[i] = kafkago.Record{Time: now, Key: kafkago.NewBytes(it.r.Key), Value: kafkago.NewBytes(it.r.Value), Headers: it.r.Headers}
		}
		wg.Go(func() {
			pb.how, pb.cause = judge(s.produce(pctx, tp, recs))
		})
	}
	wg.Wait()
}

// produce writes recs to tp in one request, acks=all, and reports the
// outcome as WriteMessages reports a batch's (a WriteErrors of one), for
// judge: the broker appends a request's record batch whole or not at all.
func (s *Sink) produce(ctx context.Context, tp topicPartition, recs []kafkago.Record) error {
	res, err := s.client.Produce(ctx, &kafkago.ProduceRequest{
		Topic:        tp.topic,
		Partition:    tp.partition,
		RequiredAcks: kafkago.RequireAll,
		Compression:  s.codec,
		Records:      kafkago.NewRecordReader(recs...),
	})
	if err == nil {
		err = res.Error
	}
	if err == nil && len(res.RecordErrors) > 0 {
		// A record the broker finds invalid fails its whole batch.
		for _, rerr := range res.RecordErrors {
			err = fmt.Errorf("%w: %w", kafkago.InvalidMessage, rerr)
			break
		}
	}
	if err == nil {
		return nil
	}
	return kafkago.WriteErrors{err}
}

// settle tells the dedup window each written record's outcome, hands
// those whose answer never came to the resolver, as Publish's are, and
// returns the acks of the stored prefix with the error of the first item
// not stored. An item answered from the window (stored before) needed no
// write. A record stored beyond the prefix is remembered as stored but not
// as answered: the publish that answers it first is told it is new.
func (b *batch) settle(s *Sink) ([]sinks.Ack, error) {
	acks := make([]sinks.Ack, 0, len(b.items))
	var err error
	for _, it := range b.items {
		pb := b.parts[it.tp]
		if it.role == lead {
			if err == nil && pb.how != written {
				err = pb.cause
				if !isClassified(err) {
					err = classify(it.tp.topic, err)
				}
				if pb.how == unknown {
					err = fmt.Errorf("%w (%w)", err, errUnknownOutcome)
				}
			}
			if err != nil {
				s.dedup.stopLeading(it.o)
			}
			cause := pb.cause
			if !isClassified(cause) {
				cause = classify(it.tp.topic, cause)
			}
			if next := s.dedup.finishWrite(it.e, it.o, pb.how, cause); next != nil {
				s.resolver.add(it.tp, it.e, next, it.r, it.m.Event != nil)
			}
		}
		if err != nil {
			continue
		}
		acks = append(acks, sinks.Ack{Duplicate: it.role == duplicate})
	}
	return acks, err
}

// isClassified reports whether err already carries a sinks class.
func isClassified(err error) bool {
	return errors.Is(err, sinks.ErrUnavailable) || errors.Is(err, sinks.ErrClosed) || sinks.Permanent(err)
}

package natsjs

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks"
)

var _ sinks.BatchPublisher = (*Sink)(nil)

// maxBatchWindow bounds the messages of a batch sent and not yet
// acknowledged, below MaxPending, so a batch leaves room to the publishes
// of requests and never stalls in the client.
const maxBatchWindow = 256

// PublishBatch sends ms in order on the sink's one connection, each with
// its Nats-Msg-Id, without waiting for one ack before sending the next
// (up to maxBatchWindow unacknowledged), and returns the acks of the prefix
// the stream acknowledged. A backlog then drains at many messages per
// round trip, where Publish waits one round trip for each.
//
// Order: the server reads a connection's messages in order and the stream
// stores them in that order, so ms are stored in slice order. A batch is
// sent once and never sent again here: what the stream did not acknowledge
// is answered by the error of the first such message, and the caller
// publishes it again with Publish, which heals what it can (a stream to
// create again, a leader election, a denied subject) as for a request.
// Messages after a failure may have been stored; sent again they carry the
// same Nats-Msg-Id, so the stream stores none twice within its duplicate
// window. What a failure in the middle leaves: when the connection is
// lost, nothing sent after the loss is stored (the client keeps no
// reconnect buffer), and what the server read before it was stored in
// order, so the stored messages are a prefix; but a stream whose limits
// refuse one message (discard new, near its byte limit) may store a
// smaller one sent after it, ahead of the refused one's next try: the
// spool's order holds for a stream that stores or refuses alike.
//
// A batch stops before a message this sink already acknowledged (Publish
// asks the stream whether it still remembers it) and, while a fault
// blocks the stream, fails at once as Publish does.
func (s *Sink) PublishBatch(ctx context.Context, ms []*sinks.Message) ([]sinks.Ack, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	if !s.gate.Enter() {
		return nil, fmt.Errorf("publishing %s: %w", ms[0].Topic, sinks.ErrClosed)
	}
	defer s.gate.Leave()
	if s.seen.has(ms[0].ID) {
		ack, err := s.Publish(ctx, ms[0])
		if err != nil {
			return nil, err
		}
		return []sinks.Ack{ack}, nil
	}
	if err := s.blocked(); err != nil {
		return nil, fmt.Errorf("publishing %s: %w: %w", ms[0].Topic, sinks.ErrUnavailable, err)
	}
	for i, m := range ms {
		if i > 0 && s.seen.has(m.ID) {
			ms = ms[:i]
			break
		}
	}
	s.faults.started()
	acks, err := s.pipeline(ctx, ms)
	s.faults.finished(len(acks) > 0)
	if err != nil {
		s.observe(ctx, err)
		return acks, s.classify(ms[len(acks)].Topic, err)
	}
	s.observe(ctx, nil)
	return acks, nil
}

// sent is a message of a batch waiting for its ack.
type sent struct {
	future jetstream.PubAckFuture
	// denials is the denial epoch's sequence taken before sending: only a
	// denial after it can be this message's (send).
	denials uint64
}

// pipeline sends ms keeping at most the window unacknowledged, and waits
// for the acks in order; it stops sending at the first failure, whose
// error it returns with the acks before it.
func (s *Sink) pipeline(ctx context.Context, ms []*sinks.Message) ([]sinks.Ack, error) {
	window := max(1, min(maxBatchWindow, s.cfg.MaxPending/2))
	acks := make([]sinks.Ack, 0, len(ms))
	waiting := make([]sent, 0, min(window, len(ms)))
	next := 0
	for len(acks) < len(ms) {
		for next < len(ms) && len(waiting) < window {
			m := ms[next]
			before := s.denied.epoch().seq
			f, err := s.js.PublishMsgAsync(&nats.Msg{Subject: m.Topic, Data: m.Body, Header: headers(m, s.cfg.Stream)}, sendOpts...)
			if err != nil {
				if len(waiting) == 0 {
					return acks, err
				}
				// Not sent: the acks of those sent before it come
				// first; this one fails after them.
				break
			}
			waiting = append(waiting, sent{future: f, denials: before})
			next++
		}
		ack, err := s.awaitAck(ctx, ms[len(acks)].Topic, waiting[0])
		if err != nil {
			return acks, err
		}
		acks = append(acks, ack)
		s.seen.add(ms[len(acks)-1].ID)
		waiting = waiting[1:]
	}
	return acks, nil
}

// awaitAck waits for w's answer as send does: the ack, the stream's error,
// the server's denial of its subject, or the end of ctx. A denial may have
// come while an earlier message of the batch was waited for: each wait
// looks at the denials so far first. The acks that come after a failure
// are left to the client, which drops each at its ack timeout.
func (s *Sink) awaitAck(ctx context.Context, subject string, w sent) (sinks.Ack, error) {
	for {
		epoch := s.denied.epoch()
		if err := epoch.deniedAfter(subject, w.denials); err != nil {
			select {
			case ack := <-w.future.Ok():
				// Stored after all: the denial was of an earlier
				// publish, before an operator allowed the subject.
				return sinks.Ack{Duplicate: ack.Duplicate}, nil
			default:
				return sinks.Ack{}, err
			}
		}
		select {
		case ack := <-w.future.Ok():
			return sinks.Ack{Duplicate: ack.Duplicate}, nil
		case err := <-w.future.Err():
			return sinks.Ack{}, err
		case <-ctx.Done():
			// It may still be stored; sent again, it carries the same
			// Nats-Msg-Id and is dropped as a duplicate.
			return sinks.Ack{}, fmt.Errorf("no ack: %w", ctx.Err())
		case <-epoch.done:
			// Another denial: look again.
		}
	}
}

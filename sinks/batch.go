package sinks

import "context"

// BatchPublisher is implemented by sinks that can publish many messages in
// one round trip to the broker, for the spool's forwarder: a backlog
// published one message per round trip drains at the broker's latency,
// hundreds of events a second, slower than a busy bridge accepts them.
//
// PublishBatch publishes ms and returns the acks of the longest prefix the
// broker acknowledged: acks[i] is ms[i]'s, for i < len(acks). A sink may
// end a batch early, before a message it cannot batch now (one whose
// earlier write is still being settled), with err nil; otherwise, when
// the prefix is not the whole of ms, err says why ms[len(acks)] was not
// acknowledged, classified as Publish's errors are (ErrUnavailable,
// ErrTooLarge, ErrRefused, ErrClosed). Given messages, it acknowledges at
// least one or returns an error, so a caller that publishes what follows
// the prefix again always makes progress.
//
// The contract that keeps the spool's promises:
//
//   - Order: messages that share a destination and key (on NATS, every
//     message of the stream) are stored in slice order (see each sink for
//     what a failure in the middle of a batch leaves).
//   - Truth: messages after the acknowledged prefix may or may not be
//     stored. Publishing them again, one by one or in a batch, never
//     stores one twice within the sink's duplicate window and never
//     answers Duplicate for a message no earlier publish stored.
type BatchPublisher interface {
	PublishBatch(ctx context.Context, ms []*Message) ([]Ack, error)
}

package spool

import (
	"context"
	"fmt"

	"github.com/hirebridge/hirebridge/sinks"
)

var _ sinks.BatchPublisher = (*Lazy)(nil)

// PublishBatch publishes ms through the broker's sink once it is open: in
// one batch when that sink publishes batches, otherwise only the first
// message, with Publish (the caller sends the rest again).
func (l *Lazy) PublishBatch(ctx context.Context, ms []*sinks.Message) ([]sinks.Ack, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	if !l.gate.Enter() {
		return nil, fmt.Errorf("publishing %s: %w", ms[0].Topic, sinks.ErrClosed)
	}
	defer l.gate.Leave()
	h := l.sink.Load()
	if h == nil {
		return nil, fmt.Errorf("publishing %s: %w", ms[0].Topic, l.notOpen())
	}
	if b, ok := h.Sink.(sinks.BatchPublisher); ok {
		return b.PublishBatch(ctx, ms)
	}
	ack, err := h.Publish(ctx, ms[0])
	if err != nil {
		return nil, err
	}
	return []sinks.Ack{ack}, nil
}

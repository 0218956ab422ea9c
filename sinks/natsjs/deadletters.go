package natsjs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

var _ sinks.Reader = (*Sink)(nil)

// readBatch and readWait pace reading a subject back. A fetch that waits
// readWait for nothing means the messages counted at the start are gone
// (the stream's max age removed them meanwhile).
const (
	readBatch = 256
	readWait  = 5 * time.Second
)

// DeadLetters calls fn for each dead letter stored at or after since, in
// stream order, up to those stored when the call began.
func (s *Sink) DeadLetters(ctx context.Context, since time.Time, fn func(sinks.Stored) error) error {
	return s.read(ctx, events.DeadLetterSubject(s.cfg.Prefix), since, false, func(m jetstream.Msg) (bool, error) {
		return true, fn(stored(m))
	})
}

// Holding reads topic's headers, stopping once every id of ids was seen.
// JetStream has no index by header, and its duplicate window forgets ids
// after a while, so the subject itself is the only record of what it
// holds.
func (s *Sink) Holding(ctx context.Context, topic string, ids map[string]bool) (map[string]bool, error) {
	found := make(map[string]bool)
	if len(ids) == 0 {
		return found, nil
	}
	err := s.read(ctx, topic, time.Time{}, true, func(m jetstream.Msg) (bool, error) {
		if id := DecodeAttribute(m.Headers().Get(events.NATS.ID)); ids[id] {
			found[id] = true
		}
		return len(found) < len(ids), nil
	})
	return found, err
}

// read calls fn for the messages on filter stored at or after since (all
// when zero), as many as there were when it began, until fn says stop. An
// ephemeral consumer that acknowledges nothing counts them when created;
// it is deleted after, and would vanish by itself if this process died.
func (s *Sink) read(ctx context.Context, filter string, since time.Time, headersOnly bool, fn func(jetstream.Msg) (bool, error)) error {
	cc := jetstream.ConsumerConfig{
		Description:       "hirebridge reading " + filter,
		FilterSubject:     filter,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		AckPolicy:         jetstream.AckNonePolicy,
		HeadersOnly:       headersOnly,
		InactiveThreshold: time.Minute,
		MemoryStorage:     true,
	}
	if !since.IsZero() {
		cc.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		cc.OptStartTime = &since
	}
	cons, err := s.js.CreateConsumer(ctx, s.cfg.Stream, cc)
	if err != nil {
		return fmt.Errorf("reading %s on stream %s: %w", filter, s.cfg.Stream, err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = s.js.DeleteConsumer(dctx, s.cfg.Stream, cons.CachedInfo().Name)
	}()
	left := cons.CachedInfo().NumPending
	for left > 0 {
		n, more, err := fetch(ctx, cons, int(min(left, readBatch)), fn)
		if err != nil || !more {
			return err
		}
		if n == 0 {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			break
		}
		left -= uint64(n)
	}
	return nil
}

// fetch passes one batch to fn, waiting at most readWait for it.
func fetch(ctx context.Context, cons jetstream.Consumer, max int, fn func(jetstream.Msg) (bool, error)) (n int, more bool, err error) {
	fctx, cancel := context.WithTimeout(ctx, readWait)
	defer cancel()
	batch, err := cons.Fetch(max, jetstream.FetchContext(fctx))
	if err != nil {
		return 0, false, fmt.Errorf("reading %s: %w", cons.CachedInfo().Config.FilterSubject, err)
	}
	for m := range batch.Messages() {
		n++
		if more, err := fn(m); err != nil || !more {
			return n, false, err
		}
	}
	if err := batch.Error(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return n, false, fmt.Errorf("reading %s: %w", cons.CachedInfo().Config.FilterSubject, err)
	}
	return n, true, nil
}

// stored is m as the broker holds it, headers in a stable order.
func stored(m jetstream.Msg) sinks.Stored {
	st := sinks.Stored{Topic: m.Subject(), Body: m.Data()}
	if md, err := m.Metadata(); err == nil {
		st.Time = md.Timestamp
	}
	for k, vs := range m.Headers() {
		st.Headers = append(st.Headers, sinks.Header{Name: k, Value: strings.Join(vs, ",")})
	}
	slices.SortFunc(st.Headers, func(a, b sinks.Header) int { return strings.Compare(a.Name, b.Name) })
	return st
}

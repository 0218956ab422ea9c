package kafka

import (
	"context"
	"errors"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// This file reads topics back up to an end, for `replay`: the dead letters
// to publish again, and whether a topic already holds their events.

// DeadLetters calls fn for each dead letter stored at or after since,
// partition by partition, up to the end each partition had when the call
// began.
func (s *Sink) DeadLetters(ctx context.Context, since time.Time, fn func(sinks.Stored) error) error {
	return s.reader().Scan(ctx, s.dlqTopic(), since, func(st sinks.Stored) (bool, error) {
		return true, fn(st)
	})
}

// Holding reads topic, stopping once every id of ids was seen in a ce_id
// header. The sink's duplicate window is in memory and bounded; the topic
// is the only lasting record of what it holds.
func (s *Sink) Holding(ctx context.Context, topic string, ids map[string]bool) (map[string]bool, error) {
	found := make(map[string]bool)
	if len(ids) == 0 {
		return found, nil
	}
	err := s.reader().Scan(ctx, topic, time.Time{}, func(st sinks.Stored) (bool, error) {
		if id := st.Header(events.Kafka.ID); ids[id] {
			found[id] = true
		}
		return len(found) < len(ids), nil
	})
	if errors.Is(err, kafkago.UnknownTopicOrPartition) {
		// No topic, no event on it: the publish creates it.
		return found, nil
	}
	return found, err
}

// Scan calls fn for each record of topic stored at or after since (every
// one when since is zero), partition by partition, up to the end each
// partition had when Scan began, until fn says stop.
func (r *Reader) Scan(ctx context.Context, topic string, since time.Time, fn func(sinks.Stored) (bool, error)) error {
	parts, err := r.partitions(ctx, topic)
	if err != nil {
		return err
	}
	ends, err := r.offsets(ctx, topic, parts, kafkago.LastOffsetOf)
	if err != nil {
		return err
	}
	starts, err := r.offsets(ctx, topic, parts, func(p int) kafkago.OffsetRequest {
		if since.IsZero() {
			return kafkago.FirstOffsetOf(p)
		}
		return kafkago.TimeOffsetOf(p, since)
	})
	if err != nil {
		return err
	}
	for _, p := range parts {
		end, stop := ends[p], false
		for off := starts[p]; off >= 0 && off < end; {
			next, _, err := r.fetch(ctx, topic, p, off, 100*time.Millisecond, func(st sinks.Stored, at int64) (bool, error) {
				if at >= end {
					return false, nil
				}
				if st.Time.Before(since) {
					// Timestamps need not grow with offsets.
					return true, nil
				}
				more, err := fn(st)
				stop = !more
				return more, err
			})
			if err != nil || stop {
				return err
			}
			if next == off {
				// Nothing but control records up to the end.
				break
			}
			off = next
		}
	}
	return nil
}

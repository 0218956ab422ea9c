package kafka

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// What a search reads of each partition: where it starts and ends.

// cursors lists the partitions of topics with what a search reads of each:
// from the first record stored at or after since (the first held when
// since is zero) to the end, or, with until, to the first record stored a
// little after it (timestamps need not grow strictly with offsets).
// Partitions of topics deleted meanwhile are left out.
func (r *Reader) cursors(ctx context.Context, topics []string, since, until time.Time) ([]*cursor, error) {
	if len(topics) == 0 {
		return nil, nil
	}
	md, err := r.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	parts := map[string][]int{}
	for _, t := range md.Topics {
		if t.Error != nil {
			if errors.Is(t.Error, kafkago.UnknownTopicOrPartition) {
				continue
			}
			return nil, fmt.Errorf("topic %s: %w", t.Name, t.Error)
		}
		for _, p := range t.Partitions {
			parts[t.Name] = append(parts[t.Name], p.ID)
		}
	}
	if len(parts) == 0 {
		return nil, nil
	}
	ends, err := r.offsetsOf(ctx, parts, kafkago.LastOffsetOf)
	if err != nil {
		return nil, err
	}
	starts, err := r.offsetsOf(ctx, parts, func(p int) kafkago.OffsetRequest {
		if since.IsZero() {
			return kafkago.FirstOffsetOf(p)
		}
		return kafkago.TimeOffsetOf(p, since)
	})
	if err != nil {
		return nil, err
	}
	var bounds map[topicPartition]int64
	if !until.IsZero() {
		bounds, err = r.offsetsOf(ctx, parts, func(p int) kafkago.OffsetRequest {
			return kafkago.TimeOffsetOf(p, until.Add(timestampSlack))
		})
		if err != nil {
			return nil, err
		}
	}
	var cs []*cursor
	for tp, end := range ends {
		start, ok := starts[tp]
		if !ok || start < 0 {
			continue // nothing stored at or after since
		}
		if b, ok := bounds[tp]; ok && b >= 0 && b < end {
			end = b
		}
		cs = append(cs, &cursor{topic: tp.topic, part: tp.partition, lo: start, hi: end})
	}
	slices.SortFunc(cs, func(a, b *cursor) int {
		return cmp.Or(cmp.Compare(a.topic, b.topic), cmp.Compare(a.part, b.part))
	})
	return cs, nil
}

// offsetsOf asks for one offset of each partition of parts, in one
// request: q builds the request of one. A time with no record at or after
// it answers -1. Partitions of topics deleted meanwhile are left out.
func (r *Reader) offsetsOf(ctx context.Context, parts map[string][]int, q func(p int) kafkago.OffsetRequest) (map[topicPartition]int64, error) {
	req := &kafkago.ListOffsetsRequest{Topics: make(map[string][]kafkago.OffsetRequest, len(parts))}
	for topic, ps := range parts {
		for _, p := range ps {
			req.Topics[topic] = append(req.Topics[topic], q(p))
		}
	}
	res, err := r.client.ListOffsets(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("listing offsets: %w", err)
	}
	out := map[topicPartition]int64{}
	for topic, pos := range res.Topics {
		for _, po := range pos {
			tp := topicPartition{topic: topic, partition: po.Partition}
			switch {
			case errors.Is(po.Error, kafkago.UnknownTopicOrPartition):
				continue
			case po.Error != nil:
				return nil, fmt.Errorf("topic %s partition %d: listing offsets: %w", topic, po.Partition, po.Error)
			}
			switch q(po.Partition).Timestamp {
			case kafkago.FirstOffset:
				out[tp] = po.FirstOffset
			case kafkago.LastOffset:
				out[tp] = po.LastOffset
			default:
				out[tp] = -1
				for o := range po.Offsets {
					out[tp] = o
				}
			}
		}
	}
	return out, nil
}

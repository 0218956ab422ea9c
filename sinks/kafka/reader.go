package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/hirebridge/hirebridge/sinks"
)

// Reader reads topics back, for `hirebridge tail` (Follow, follow.go) and
// `replay` (Scan, scan.go): with the sink's connection settings, fetching
// partitions directly (no consumer group, so nothing is committed on the
// cluster), and never creating a topic. This file holds what both use:
// the connection, metadata, offsets and one fetch.
type Reader struct {
	client    *kafkago.Client
	transport *kafkago.Transport
	cancel    context.CancelFunc
}

// Reading pace. kafka-go answers metadata from a cache; a short TTL lets
// `tail` see a new type's topic within a second or two.
const (
	readTimeout     = 10 * time.Second
	readMetadataTTL = time.Second
)

// NewReader connects to c's brokers; Close releases the connections.
func NewReader(c Config) (*Reader, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.withDefaults()
	t, cancel, err := c.transport(readTimeout)
	if err != nil {
		return nil, err
	}
	t.MetadataTTL = readMetadataTTL
	r := &Reader{client: &kafkago.Client{Addr: kafkago.TCP(c.Brokers...), Transport: t, Timeout: readTimeout}, transport: t, cancel: cancel}
	return r, nil
}

// Close releases the connections.
func (r *Reader) Close() {
	if r.transport != nil {
		r.transport.CloseIdleConnections()
	}
	if r.cancel != nil {
		r.cancel()
	}
}

// reader reads through the sink's own client.
func (s *Sink) reader() *Reader { return &Reader{client: s.client} }

// Topics lists the cluster's topics, sorted.
func (r *Reader) Topics(ctx context.Context) ([]string, error) {
	md, err := r.client.Metadata(ctx, &kafkago.MetadataRequest{})
	if err != nil {
		return nil, fmt.Errorf("listing topics: %w", err)
	}
	names := make([]string, 0, len(md.Topics))
	for _, t := range md.Topics {
		if t.Error == nil && !t.Internal {
			names = append(names, t.Name)
		}
	}
	sort.Strings(names)
	return names, nil
}

func (r *Reader) partitions(ctx context.Context, topic string) ([]int, error) {
	md, err := r.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("topic %s: metadata: %w", topic, err)
	}
	for _, t := range md.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			return nil, fmt.Errorf("topic %s: %w", topic, t.Error)
		}
		ps := make([]int, 0, len(t.Partitions))
		for _, p := range t.Partitions {
			ps = append(ps, p.ID)
		}
		slices.Sort(ps)
		return ps, nil
	}
	return nil, fmt.Errorf("topic %s: %w", topic, kafkago.UnknownTopicOrPartition)
}

// offsets asks for one offset of each partition: q builds the request of
// one. A time with no record at or after it answers -1.
func (r *Reader) offsets(ctx context.Context, topic string, parts []int, q func(p int) kafkago.OffsetRequest) (map[int]int64, error) {
	req := &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{}}
	for _, p := range parts {
		req.Topics[topic] = append(req.Topics[topic], q(p))
	}
	res, err := r.client.ListOffsets(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("topic %s: listing offsets: %w", topic, err)
	}
	out := make(map[int]int64, len(parts))
	for _, po := range res.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("topic %s partition %d: %w", topic, po.Partition, po.Error)
		}
		switch {
		case q(po.Partition).Timestamp == kafkago.FirstOffset:
			out[po.Partition] = po.FirstOffset
		case q(po.Partition).Timestamp == kafkago.LastOffset:
			out[po.Partition] = po.LastOffset
		default:
			out[po.Partition] = -1
			for o := range po.Offsets {
				out[po.Partition] = o
			}
		}
	}
	return out, nil
}

// fetch reads one batch of tp from off and passes each record to fn with
// its offset. It returns the offset after the last record read, and
// whether fn wants more.
func (r *Reader) fetch(ctx context.Context, topic string, p int, off int64, wait time.Duration, fn func(sinks.Stored, int64) (bool, error)) (int64, bool, error) {
	res, err := r.client.Fetch(ctx, &kafkago.FetchRequest{
		Topic: topic, Partition: p, Offset: off,
		MinBytes: 1, MaxBytes: readFetchBytes, MaxWait: wait,
	})
	if err != nil {
		return off, false, fmt.Errorf("fetching %s/%d at %d: %w", topic, p, off, err)
	}
	if res.Error != nil {
		return off, false, fmt.Errorf("fetching %s/%d at %d: %w", topic, p, off, res.Error)
	}
	next := off
	for {
		rec, err := res.Records.ReadRecord()
		if errors.Is(err, io.EOF) {
			return next, true, nil
		}
		if err != nil {
			return next, false, fmt.Errorf("reading %s/%d at %d: %w", topic, p, next, err)
		}
		if rec.Offset < off {
			continue
		}
		next = rec.Offset + 1
		st := sinks.Stored{Topic: topic, Time: rec.Time}
		for _, h := range rec.Headers {
			st.Headers = append(st.Headers, sinks.Header{Name: h.Key, Value: string(h.Value)})
		}
		if rec.Value != nil {
			if st.Body, err = io.ReadAll(rec.Value); err != nil {
				return next, false, err
			}
		}
		if more, err := fn(st, rec.Offset); err != nil || !more {
			return next, false, err
		}
	}
}

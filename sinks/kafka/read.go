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

// Reader reads topics back, for `hirebridge tail` and `replay`: with the
// sink's connection settings, fetching partitions directly (no consumer
// group, so nothing is committed on the cluster), and never creating a
// topic.
type Reader struct {
	client    *kafkago.Client
	transport *kafkago.Transport
	cancel    context.CancelFunc
}

// Reading pace. kafka-go answers metadata from a cache; a short TTL lets
// `tail` see a new type's topic within a second or two.
const (
	readTimeout      = 10 * time.Second
	readMetadataTTL  = time.Second
	followMaxWait    = 500 * time.Millisecond
	followBackoffMax = 2 * time.Second
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
		if id := st.Header("ce_id"); ids[id] {
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

// Follow calls fn for each record of the topics that match, as they
// arrive, until ctx ends: from each partition's start with fromStart, else
// from its end as Follow began. Topics created while it runs (a new event
// type's) are followed from their start. Records of one partition come in
// order; partitions interleave.
func (r *Reader) Follow(ctx context.Context, match func(topic string) bool, fromStart bool, fn func(sinks.Stored) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan sinks.Stored)
	gone := make(chan string, 16)
	followed := map[string]bool{}
	start := func(first bool) error {
		names, err := r.Topics(ctx)
		if err != nil {
			return err
		}
		for _, name := range names {
			if followed[name] || !match(name) {
				continue
			}
			parts, err := r.partitions(ctx, name)
			if err != nil {
				continue // deleted meanwhile; the next listing tells
			}
			q := kafkago.FirstOffsetOf
			if first && !fromStart {
				q = kafkago.LastOffsetOf
			}
			offs, err := r.offsets(ctx, name, parts, q)
			if err != nil {
				if first {
					return err
				}
				continue
			}
			followed[name] = true
			for _, p := range parts {
				go r.followPartition(ctx, name, p, offs[p], out, gone)
			}
		}
		return nil
	}
	if err := start(true); err != nil {
		return err
	}
	relist := time.NewTicker(readMetadataTTL)
	defer relist.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case st := <-out:
			if err := fn(st); err != nil {
				return err
			}
		case name := <-gone:
			// Deleted: followed again from its start once it is back.
			delete(followed, name)
		case <-relist.C:
			_ = start(false) // a broker away now is asked again next tick
		}
	}
}

// followPartition sends tp's records from off to out until ctx ends, or
// the topic is gone. A broker away is waited for; records removed by
// retention before they were read are skipped.
func (r *Reader) followPartition(ctx context.Context, topic string, p int, off int64, out chan<- sinks.Stored, gone chan<- string) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		next, _, err := r.fetch(ctx, topic, p, off, followMaxWait, func(st sinks.Stored, _ int64) (bool, error) {
			select {
			case out <- st:
				return true, nil
			case <-ctx.Done():
				return false, nil
			}
		})
		off = next
		switch {
		case err == nil:
			backoff = 100 * time.Millisecond
			continue
		case ctx.Err() != nil:
			return
		case errors.Is(err, kafkago.UnknownTopicOrPartition):
			select {
			case gone <- topic:
			case <-ctx.Done():
			}
			return
		case errors.Is(err, kafkago.OffsetOutOfRange):
			// Removed by retention, or the topic was created again:
			// go on from what it holds now.
			if offs, oerr := r.offsets(ctx, topic, []int{p}, kafkago.FirstOffsetOf); oerr == nil {
				off = offs[p]
				continue
			}
		}
		select {
		case <-time.After(backoff):
			backoff = min(2*backoff, followBackoffMax)
		case <-ctx.Done():
			return
		}
	}
}

package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/hirebridge/hirebridge/internal/backoff"
	"github.com/hirebridge/hirebridge/sinks"
)

var _ sinks.Resolutions = (*Sink)(nil)

// Resolved marks live on a compacted topic of one partition, named apart
// from the prefix's topics: a consumer of "<prefix>.>" never sees it, and
// it is no destination (Destinations counts "<prefix>." only). Each record
// is one mark: the dead letter's id as key, the JSON of sinks.Mark as
// value; compaction keeps the last per key, which is the one that counts.
const (
	resolvedTopicPrefix = "_hirebridge.resolved."
	cleanupPolicy       = "cleanup.policy"
	compact             = "compact"
)

// Resolving pace: how often a write to a partition whose leader is not
// known yet (a topic created a moment ago) is tried again.
const (
	resolveBackoffMin = 50 * time.Millisecond
	resolveBackoffMax = time.Second
	// resolveTries bounds the writes of one mark, for a caller without
	// a deadline.
	resolveTries = 20
)

// ResolvedTopic is the topic of the marks on the dead letters of prefix.
func ResolvedTopic(prefix string) string { return resolvedTopicPrefix + prefix }

func (s *Sink) resolvedTopic() string { return ResolvedTopic(s.cfg.Prefix) }

// Resolve writes the mark, acknowledged by every in-sync replica, creating
// the topic on the first mark. With topic creation off, an operator
// creates it; the error says how.
func (s *Sink) Resolve(ctx context.Context, id string, m sinks.Mark) error {
	if id == "" {
		return errors.New("resolving a dead letter: no id")
	}
	if m.At.IsZero() {
		m.At = time.Now().UTC()
	}
	value, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("resolving dead letter %s: %w", id, err)
	}
	topic := s.resolvedTopic()
	retry := backoff.New(resolveBackoffMin, resolveBackoffMax)
	for try := 1; ; try++ {
		// Checked on every try: a topic deleted since is created again
		// once the metadata says it is gone.
		if err := s.ensureResolvedTopic(ctx, topic); err != nil {
			return fmt.Errorf("resolving dead letter %s: %w", id, resolvedRefusal(topic, err))
		}
		res, err := s.client.Produce(ctx, &kafkago.ProduceRequest{
			Topic:        topic,
			Partition:    0,
			RequiredAcks: kafkago.RequireAll,
			Records: kafkago.NewRecordReader(kafkago.Record{
				Time:  time.Now(),
				Key:   kafkago.NewBytes([]byte(id)),
				Value: kafkago.NewBytes(value),
			}),
		})
		if err == nil {
			err = res.Error
		}
		if err == nil {
			return nil
		}
		// A leader not known yet, or moved: learn it and write again.
		if try < resolveTries && (staleLeader(err) || errors.Is(err, kafkago.UnknownTopicOrPartition)) &&
			(s.leaders.refresh(ctx) || retry.Wait(ctx)) {
			continue
		}
		return fmt.Errorf("resolving dead letter %s: writing to %s: %w", id, topic, resolvedRefusal(topic, err))
	}
}

// ensureResolvedTopic creates the marks' topic when the client's metadata
// lacks it: one partition, so the last mark of an id is the last written;
// compacted, so it holds one mark per dead letter for good; with the
// copies the sink gives every topic it creates.
func (s *Sink) ensureResolvedTopic(ctx context.Context, topic string) error {
	p, err := s.topics.cached(ctx, topic)
	if err != nil || p.present {
		return err
	}
	if !s.topics.create {
		return fmt.Errorf("topic %s does not exist, and HIREBRIDGE_KAFKA_CREATE_TOPICS is false: an operator must create it, with 1 partition and %s=%s: %w",
			topic, cleanupPolicy, compact, sinks.ErrRefused)
	}
	res, err := s.client.CreateTopics(ctx, &kafkago.CreateTopicsRequest{
		Topics: []kafkago.TopicConfig{{
			Topic:             topic,
			NumPartitions:     1,
			ReplicationFactor: s.topics.replication.factor,
			ConfigEntries:     []kafkago.ConfigEntry{{ConfigName: cleanupPolicy, ConfigValue: compact}},
		}},
	})
	if err != nil {
		return fmt.Errorf("creating topic %s: %w", topic, err)
	}
	switch err := res.Errors[topic]; {
	case err == nil:
		s.cfg.Log.Info().Str("topic", topic).Msg("created the topic of the resolved marks on dead letters")
		return nil
	case errors.Is(err, kafkago.TopicAlreadyExists):
		// Another replica created it.
		return s.awaitTopic(ctx, topic)
	default:
		return fmt.Errorf("creating topic %s: %w", topic, err)
	}
}

// awaitTopicWait bounds awaitTopic for a caller without a deadline.
const awaitTopicWait = 10 * time.Second

// awaitTopic returns once the client's metadata holds topic, which exists
// on the cluster: requests for a partition go to the leader that metadata
// names, and kafka-go refreshes it only every few seconds on its own.
func (s *Sink) awaitTopic(ctx context.Context, topic string) error {
	ctx, cancel := context.WithTimeout(ctx, awaitTopicWait)
	defer cancel()
	for {
		p, err := s.topics.cached(ctx, topic)
		if err != nil || p.present {
			return err
		}
		if !s.leaders.refresh(ctx) {
			select {
			case <-time.After(metadataPoll):
			case <-ctx.Done():
				return fmt.Errorf("topic %s exists but is not in the client's metadata yet: %w", topic, ctx.Err())
			}
		}
	}
}

// Resolved reads the marks' topic to the end it has when the call begins:
// the last mark of each id wins, and a record without value (a tombstone
// an operator wrote) takes the mark away. No topic, no mark.
func (s *Sink) Resolved(ctx context.Context) (map[string]sinks.Mark, error) {
	topic := s.resolvedTopic()
	marks := map[string]sinks.Mark{}
	r := s.reader()
	parts := map[string][]int{topic: {0}}
	p, err := s.topics.cached(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("reading the resolved marks: %w", resolvedRefusal(topic, err))
	}
	if !p.present {
		// Another replica may have created it since the client's
		// metadata was read: the partition's leader, or any broker for
		// a topic the metadata lacks, says whether it exists.
		ends, err := r.offsetsOf(ctx, parts, kafkago.LastOffsetOf)
		switch {
		case err == nil && len(ends) == 0:
			return marks, nil
		case authorization(err):
			// Not in the metadata because the principal may not see
			// it: waiting would not change that.
			return nil, fmt.Errorf("reading the resolved marks: %w", resolvedRefusal(topic, err))
		}
		// It exists (a broker that does not lead it said so); fetches
		// go where the metadata says.
		if err := s.awaitTopic(ctx, topic); err != nil {
			return nil, fmt.Errorf("reading the resolved marks: %w", err)
		}
	}
	starts, err := r.offsetsOf(ctx, parts, kafkago.FirstOffsetOf)
	if err != nil {
		return nil, fmt.Errorf("reading the resolved marks: %w", resolvedRefusal(topic, err))
	}
	ends, err := r.offsetsOf(ctx, parts, kafkago.LastOffsetOf)
	if err != nil {
		return nil, fmt.Errorf("reading the resolved marks: %w", resolvedRefusal(topic, err))
	}
	tp := topicPartition{topic, 0}
	start, ok := starts[tp]
	end, ok2 := ends[tp]
	if !ok || !ok2 {
		// Deleted since the metadata was read.
		return marks, nil
	}
	for off := start; off < end; {
		res, err := s.client.Fetch(ctx, &kafkago.FetchRequest{
			Topic: topic, Partition: 0, Offset: off,
			MinBytes: 1, MaxBytes: readFetchBytes, MaxWait: browseMaxWait,
		})
		if err == nil {
			err = res.Error
		}
		if err != nil {
			return nil, fmt.Errorf("reading the resolved marks: fetching %s at %d: %w", topic, off, resolvedRefusal(topic, err))
		}
		next := off
		for next < end {
			rec, err := res.Records.ReadRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("reading the resolved marks: %s at %d: %w", topic, next, err)
			}
			if rec.Offset < off {
				continue
			}
			if rec.Offset >= end {
				break
			}
			next = rec.Offset + 1
			if err := readMark(marks, rec); err != nil {
				s.cfg.Log.Warn().Str("topic", topic).Int64("offset", rec.Offset).Err(err).
					Msg("a record on the resolved marks' topic is not a mark; it is skipped")
			}
		}
		if next == off {
			// Only offsets compaction removed, up to the end.
			break
		}
		off = next
	}
	return marks, nil
}

// authorization reports whether err is the broker refusing the principal
// a topic, or an action on the cluster, by its ACLs.
func authorization(err error) bool {
	return errors.Is(err, kafkago.TopicAuthorizationFailed) || errors.Is(err, kafkago.ClusterAuthorizationFailed)
}

// resolvedRefusal is err, when the ACLs refused the marks' topic, said
// with the ACL the principal needs: marks are read (replay, the console's
// dead letters), written and the topic created on the first one. A
// refusal is sinks.ErrRefused: final until an operator changes the ACLs.
func resolvedRefusal(topic string, err error) error {
	if !authorization(err) {
		return err
	}
	return fmt.Errorf("the broker's ACLs keep this principal from topic %s, which holds the resolved marks: "+
		"allow it READ, WRITE, CREATE and DESCRIBE on that topic (or on the topics prefixed %s): %w (%w)",
		topic, resolvedTopicPrefix, sinks.ErrRefused, err)
}

// readMark applies one record of the marks' topic to marks.
func readMark(marks map[string]sinks.Mark, rec *kafkago.Record) error {
	if rec.Key == nil {
		return errors.New("no key")
	}
	key, err := io.ReadAll(rec.Key)
	if err != nil {
		return err
	}
	if rec.Value == nil {
		delete(marks, string(key))
		return nil
	}
	value, err := io.ReadAll(rec.Value)
	if err != nil {
		return err
	}
	var m sinks.Mark
	if err := json.Unmarshal(value, &m); err != nil {
		return fmt.Errorf("mark of %s: %w", key, err)
	}
	marks[string(key)] = m
	return nil
}

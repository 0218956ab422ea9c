package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/rs/zerolog"
	kafkago "github.com/segmentio/kafka-go"
	"golang.org/x/sync/singleflight"
)

// topics makes sure each topic exists before records go to it: the
// broker's auto-creation is never relied on, since it would create topics
// with the broker's defaults, or not at all. A topic is checked once, then
// trusted until a publish or a readiness probe finds it missing on the
// broker (deleted, or the broker lost its store); it is then created again
// with the configured settings.
type topics struct {
	client      *kafkago.Client
	partitions  int
	replication replication
	log         zerolog.Logger
	// create is false when an operator creates every topic
	// (HIREBRIDGE_KAFKA_CREATE_TOPICS): a missing one is refused instead.
	create bool

	// checks lets concurrent first publishes to a new type wait for one
	// check instead of racing to create the topic.
	checks singleflight.Group

	mu sync.Mutex
	// exists names the topics a check found or created.
	exists map[string]bool
	// missing names topics found missing on the broker since they were
	// checked. The client's metadata cache may still list them for a few
	// seconds, so they are created without consulting it.
	missing map[string]bool
}

// metadataPoll is how often a topic that exists on the broker but not yet in
// the client's metadata cache is looked for again.
const metadataPoll = 50 * time.Millisecond

func newTopics(client *kafkago.Client, partitions int, r replication, log zerolog.Logger, create bool) *topics {
	return &topics{
		client:      client,
		partitions:  partitions,
		replication: r,
		log:         log,
		create:      create,
		exists:      make(map[string]bool),
		missing:     make(map[string]bool),
	}
}

func (t *topics) ensure(ctx context.Context, name string) error {
	for {
		t.mu.Lock()
		exists := t.exists[name]
		t.mu.Unlock()
		if exists {
			return nil
		}
		// The check runs under the context of the caller that started it;
		// the others wait for its outcome under their own.
		done := t.checks.DoChan(name, func() (any, error) {
			t.mu.Lock()
			missing := t.missing[name]
			t.mu.Unlock()
			err := t.check(ctx, name, missing)
			if err == nil {
				t.mu.Lock()
				t.exists[name] = true
				delete(t.missing, name)
				t.mu.Unlock()
			}
			return nil, err
		})
		select {
		case r := <-done:
			if r.Err == nil || ctx.Err() != nil ||
				!(errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded)) {
				return r.Err
			}
			// Only the caller that ran the check gave up: check again
			// under this caller's context.
		case <-ctx.Done():
			return fmt.Errorf("topic %s: %w", name, ctx.Err())
		}
	}
}

// invalidate forgets that name exists, after the broker said it does not:
// the next ensure creates it again. A check in progress started after the
// loss, so only a settled "exists" is wrong.
func (t *topics) invalidate(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.exists[name] {
		delete(t.exists, name)
		t.missing[name] = true
	}
}

// check creates name when the broker lacks it, and returns once the
// client's metadata has the topic, since the writer routes from that cache
// and fails a record for a topic it does not know. missing skips the cache,
// which still lists a topic deleted moments ago.
func (t *topics) check(ctx context.Context, name string, missing bool) error {
	if !missing {
		p, err := t.cached(ctx, name)
		if err != nil {
			return err
		}
		if p.present {
			t.noteExisting(name, p)
			return nil
		}
	}
	if !t.create {
		return notCreated(name)
	}
	res, err := t.client.CreateTopics(ctx, &kafkago.CreateTopicsRequest{
		Topics: []kafkago.TopicConfig{{
			Topic:             name,
			NumPartitions:     t.partitions,
			ReplicationFactor: t.replication.factor,
		}},
	})
	if err != nil {
		return fmt.Errorf("creating topic %s: %w", name, err)
	}
	switch err := res.Errors[name]; {
	case err == nil:
		// kafka-go refreshed its metadata after the creation and waited
		// for the topic to show (transport.go, connPool.roundTrip and
		// refreshMetadata).
		t.noteCreated(ctx, name, missing)
		return nil
	case errors.Is(err, kafkago.TopicAlreadyExists):
		// Someone else created it. kafka-go refreshed its metadata cache
		// after the request even so (refreshMetadata with no topic to wait
		// for makes one round); wait for the topic to show rather than
		// forcing a refresh with an auto-creating metadata request.
		return t.awaitCached(ctx, name)
	default:
		return fmt.Errorf("creating topic %s: %w", name, err)
	}
}

// placement is what the client's metadata says of a topic.
type placement struct {
	present bool
	// copies is the number of replicas of its first partition.
	copies int
	// brokers is the number of brokers in the cluster.
	brokers int
}

// cached is what the client's metadata cache says of name. kafka-go
// answers metadata requests from that cache (connPool.roundTrip), refreshed
// in the background.
func (t *topics) cached(ctx context.Context, name string) (placement, error) {
	md, err := t.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{name}})
	if err != nil {
		return placement{}, fmt.Errorf("topic %s: metadata: %w", name, err)
	}
	p := placement{brokers: len(md.Brokers)}
	for _, tp := range md.Topics {
		if tp.Name != name {
			continue
		}
		switch {
		case tp.Error == nil && len(tp.Partitions) > 0:
			p.present = true
			for _, part := range tp.Partitions {
				if part.ID == 0 {
					p.copies = len(part.Replicas)
				}
			}
			return p, nil
		case tp.Error == nil, errors.Is(tp.Error, kafkago.UnknownTopicOrPartition):
			return p, nil
		default:
			return p, fmt.Errorf("topic %s: %w", name, tp.Error)
		}
	}
	return p, nil
}

func (t *topics) awaitCached(ctx context.Context, name string) error {
	tick := time.NewTicker(metadataPoll)
	defer tick.Stop()
	for {
		p, err := t.cached(ctx, name)
		if err != nil || p.present {
			return err
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("topic %s exists but is not in the client's metadata yet: %w", name, ctx.Err())
		}
	}
}

// checked lists the topics known to exist, sorted.
func (t *topics) checked() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	names := make([]string, 0, len(t.exists))
	for name := range t.exists {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// verify asks the broker, not the metadata cache, whether every topic in
// names exists, and creates again those it lacks. It fails while a topic is
// missing and cannot be created, or the broker does not answer. A topic
// that is not required (the sink works without it) and that the broker
// refuses for good to create again (authorization, policy) is only logged
// and no longer checked: the publishes of its one event type are refused
// (and kept on the dead letters), while everything else is still stored.
//
// The question is a ListOffsets for partition 0 of each topic: kafka-go
// sends it to the partition's leader, or to a bootstrap broker for a topic
// its cache lacks (listoffsets.Request.Broker returns ID -1), and the
// broker answers UNKNOWN_TOPIC_OR_PARTITION for a topic it lacks.
func (t *topics) verify(ctx context.Context, names []string, required func(string) bool) error {
	if len(names) == 0 {
		return nil
	}
	req := &kafkago.ListOffsetsRequest{Topics: make(map[string][]kafkago.OffsetRequest, len(names))}
	for _, name := range names {
		req.Topics[name] = []kafkago.OffsetRequest{kafkago.LastOffsetOf(0)}
	}
	res, err := t.client.ListOffsets(ctx, req)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		ps := res.Topics[name]
		if len(ps) == 0 {
			errs = append(errs, fmt.Errorf("topic %s: no answer", name))
			continue
		}
		switch err := ps[0].Error; {
		case err == nil:
		case errors.Is(err, kafkago.UnknownTopicOrPartition):
			t.invalidate(name)
			switch err := t.ensure(ctx, name); {
			case err == nil:
			case !required(name) && permanence(err) != nil:
				// invalidate took it off checked: later probes skip it
				// until a publish creates it.
				t.log.Warn().Str("topic", name).Err(err).
					Msg("topic was missing on the broker and the broker refuses to create it again; its events are refused")
			default:
				errs = append(errs, fmt.Errorf("topic %s is missing and cannot be created: %w", name, err))
			}
		case errors.Is(err, kafkago.LeaderNotAvailable), errors.Is(err, kafkago.Unknown):
			// No leader, or kafka-go lost the request (it merges a
			// failed request into the response as UNKNOWN).
			errs = append(errs, fmt.Errorf("topic %s: %w", name, err))
		default:
			// Another broker may lead it (NOT_LEADER_OR_FOLLOWER from a
			// bootstrap broker): it exists.
		}
	}
	return errors.Join(errs...)
}

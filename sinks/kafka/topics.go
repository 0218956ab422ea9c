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
)

// topics makes sure each topic exists before records go to it: the
// broker's auto-creation is never relied on, since it would create topics
// with the broker's defaults, or not at all. A topic is checked once, then
// trusted until a publish or a readiness probe finds it missing on the
// broker (deleted, or the broker lost its store); it is then created again
// with the configured settings.
type topics struct {
	client            *kafkago.Client
	partitions        int
	replicationFactor int
	log               zerolog.Logger

	mu sync.Mutex
	// known holds each topic's check: done and without error, the topic
	// exists; in progress, callers wait for it.
	known map[string]*topicFlight
	// missing names topics found missing on the broker since they were
	// checked. The client's metadata cache may still list them for a few
	// seconds, so they are created without consulting it.
	missing map[string]bool
}

// topicFlight is one topic's check: concurrent first publishes to a new
// type wait for one check instead of racing to create it.
type topicFlight struct {
	done chan struct{}
	err  error
}

// metadataPoll is how often a topic that exists on the broker but not yet in
// the client's metadata cache is looked for again.
const metadataPoll = 50 * time.Millisecond

func newTopics(client *kafkago.Client, partitions, replicationFactor int, log zerolog.Logger) *topics {
	return &topics{
		client:            client,
		partitions:        partitions,
		replicationFactor: replicationFactor,
		log:               log,
		known:             make(map[string]*topicFlight),
		missing:           make(map[string]bool),
	}
}

func (t *topics) ensure(ctx context.Context, name string) error {
	for {
		t.mu.Lock()
		f, ok := t.known[name]
		if !ok {
			f = &topicFlight{done: make(chan struct{})}
			t.known[name] = f
			missing := t.missing[name]
			t.mu.Unlock()
			f.err = t.check(ctx, name, missing)
			t.mu.Lock()
			if f.err != nil {
				delete(t.known, name)
			} else {
				delete(t.missing, name)
			}
			t.mu.Unlock()
			close(f.done)
			return f.err
		}
		t.mu.Unlock()
		select {
		case <-f.done:
			if f.err == nil {
				return nil
			}
			// The other caller's check failed (maybe only its context
			// ended); check again under this caller's context.
		case <-ctx.Done():
			return fmt.Errorf("topic %s: %w", name, ctx.Err())
		}
	}
}

// invalidate forgets that name exists, after the broker said it does not:
// the next ensure creates it again.
func (t *topics) invalidate(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.known[name]
	if !ok {
		return
	}
	select {
	case <-f.done:
		// A check in progress started after the loss; only a settled
		// "exists" is wrong now.
		if f.err == nil {
			delete(t.known, name)
			t.missing[name] = true
		}
	default:
	}
}

// check creates name when the broker lacks it, and returns once the
// client's metadata has the topic, since the writer routes from that cache
// and fails a record for a topic it does not know. missing skips the cache,
// which still lists a topic deleted moments ago.
func (t *topics) check(ctx context.Context, name string, missing bool) error {
	if !missing {
		present, err := t.cached(ctx, name)
		if err != nil || present {
			return err
		}
	}
	res, err := t.client.CreateTopics(ctx, &kafkago.CreateTopicsRequest{
		Topics: []kafkago.TopicConfig{{
			Topic:             name,
			NumPartitions:     t.partitions,
			ReplicationFactor: t.replicationFactor,
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
		if missing {
			t.log.Warn().Str("topic", name).Int("partitions", t.partitions).Int("replication_factor", t.replicationFactor).
				Msg("topic was missing on the broker; created it again")
		}
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

// cached reports whether the client's metadata cache has name. kafka-go
// answers metadata requests from that cache (connPool.roundTrip), refreshed
// in the background.
func (t *topics) cached(ctx context.Context, name string) (bool, error) {
	md, err := t.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{name}})
	if err != nil {
		return false, fmt.Errorf("topic %s: metadata: %w", name, err)
	}
	for _, tp := range md.Topics {
		if tp.Name != name {
			continue
		}
		switch {
		case tp.Error == nil && len(tp.Partitions) > 0:
			return true, nil
		case tp.Error == nil, errors.Is(tp.Error, kafkago.UnknownTopicOrPartition):
			return false, nil
		default:
			return false, fmt.Errorf("topic %s: %w", name, tp.Error)
		}
	}
	return false, nil
}

func (t *topics) awaitCached(ctx context.Context, name string) error {
	tick := time.NewTicker(metadataPoll)
	defer tick.Stop()
	for {
		present, err := t.cached(ctx, name)
		if err != nil || present {
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
	names := make([]string, 0, len(t.known))
	for name, f := range t.known {
		select {
		case <-f.done:
			if f.err == nil {
				names = append(names, name)
			}
		default:
		}
	}
	sort.Strings(names)
	return names
}

// verify asks the broker, not the metadata cache, whether every topic in
// names exists, and creates again those it lacks. It fails while a topic is
// missing and cannot be created, or the broker does not answer.
//
// The question is a ListOffsets for partition 0 of each topic: kafka-go
// sends it to the partition's leader, or to a bootstrap broker for a topic
// its cache lacks (listoffsets.Request.Broker returns ID -1), and the
// broker answers UNKNOWN_TOPIC_OR_PARTITION for a topic it lacks.
func (t *topics) verify(ctx context.Context, names []string) error {
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
			if err := t.ensure(ctx, name); err != nil {
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

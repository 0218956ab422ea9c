package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// topics makes sure each topic exists before the first record goes to it,
// checking each name once: the broker's auto-creation is never relied on,
// since it would create topics with the broker's defaults, or not at all.
type topics struct {
	client            *kafkago.Client
	partitions        int
	replicationFactor int

	mu    sync.Mutex
	known map[string]*topicFlight
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

func (t *topics) ensure(ctx context.Context, name string) error {
	for {
		t.mu.Lock()
		f, ok := t.known[name]
		if !ok {
			f = &topicFlight{done: make(chan struct{})}
			t.known[name] = f
			t.mu.Unlock()
			f.err = t.check(ctx, name)
			if f.err != nil {
				t.mu.Lock()
				delete(t.known, name)
				t.mu.Unlock()
			}
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

// check creates name when the broker lacks it, and returns once the
// client's metadata has the topic, since the writer routes from that cache
// and fails a record for a topic it does not know.
func (t *topics) check(ctx context.Context, name string) error {
	present, err := t.cached(ctx, name)
	if err != nil || present {
		return err
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
		// for the topic to show.
		return nil
	case errors.Is(err, kafkago.TopicAlreadyExists):
		// Someone else created it since our metadata was fetched; wait
		// for the next refresh rather than forcing one with an
		// auto-creating metadata request.
		return t.awaitCached(ctx, name)
	default:
		return fmt.Errorf("creating topic %s: %w", name, err)
	}
}

// cached reports whether the client's metadata cache has name.
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

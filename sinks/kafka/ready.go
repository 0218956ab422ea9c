package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/hirebridge/hirebridge/sinks"
)

// readyTTL is how long a readiness answer is reused: short enough that
// readiness follows the broker within seconds both ways, long enough that a
// burst of probes costs one round trip.
const readyTTL = time.Second

// readiness caches the outcome of probe.
type readiness struct {
	probe func(context.Context) error
	// stale is set by publishes that found the broker changed (a topic
	// gone), so the next check probes again; it takes no lock, as a
	// publish must not wait for a probe in progress.
	stale atomic.Bool

	mu  sync.Mutex
	at  time.Time
	err error
}

func (r *readiness) check(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stale.Swap(false) && !r.at.IsZero() && time.Since(r.at) < readyTTL {
		return r.err
	}
	err := r.probe(ctx)
	if ctx.Err() != nil && err != nil {
		// The caller's deadline, not the broker, ended the probe: do not
		// let one impatient caller decide the next second's answer.
		r.at = time.Time{}
		return err
	}
	r.at, r.err = time.Now(), err
	return err
}

// reset drops the cached answer.
func (r *readiness) reset() { r.stale.Store(true) }

// Ready reports whether a publish can succeed now: a broker answers, and
// every topic the sink publishes to exists on the broker or could be
// created again just now, save a topic of an event type other than the
// known ones that the broker refuses for good (its publishes are refused,
// the others still pass). The answer is cached briefly so probes do not
// load the broker.
func (s *Sink) Ready(ctx context.Context) error {
	if s.gate.Closed() {
		return fmt.Errorf("kafka: %w", sinks.ErrClosed)
	}
	return s.ready.check(ctx)
}

// probeTimeout keeps one readiness probe well inside a kubelet probe's
// default timeout.
const probeTimeout = 800 * time.Millisecond

// probe asks a broker for its API versions over the writer's connections,
// which fails as soon as the broker is gone (the transport's metadata cache
// would keep answering from memory), then asks the broker whether each
// topic the sink created or uses exists, creating again those it lost
// (topics.verify): a broker restarted without its store is ready again as
// soon as the topics are back, without waiting for a publish that a
// not-ready instance would not get.
func (s *Sink) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if _, err := s.client.ApiVersions(ctx, &kafkago.ApiVersionsRequest{}); err != nil {
		return fmt.Errorf("%w: no broker of %v answers: %w", sinks.ErrUnavailable, s.cfg.Brokers, err)
	}
	names := s.topics.checked()
	start := s.startTopics()
	var missing []string
	for _, name := range start {
		switch {
		case slices.Contains(names, name):
		case !s.topics.create:
			// Looked for, never created: found once an operator made it.
			switch err := s.topics.ensure(ctx, name); {
			case errors.Is(err, sinks.ErrRefused):
				missing = append(missing, name)
			case err != nil:
				return fmt.Errorf("%w: %w", sinks.ErrUnavailable, err)
			}
		default:
			names = append(names, name)
		}
	}
	// Only the start topics must be there: a topic of one other event
	// type that the broker refuses must not keep the sink unready for
	// every type. With creation off, only the dead letters' topic: a
	// documented type's missing topic costs its events a dead letter,
	// not every event its answer.
	required := func(name string) bool { return slices.Contains(start, name) }
	if !s.topics.create {
		required = func(name string) bool { return name == s.dlqTopic() }
	}
	if err := s.topics.verify(ctx, names, required); err != nil {
		return fmt.Errorf("%w: %w", sinks.ErrUnavailable, err)
	}
	return missingTopics(missing, s.dlqTopic())
}

// missingTopics is readiness's answer while creation is off and start
// topics are missing: unready without the dead letters' topic, since a
// refused event could then be kept nowhere; degraded (still taking
// traffic) without a documented type's, whose events go to the dead
// letters until an operator creates it.
func missingTopics(missing []string, dlq string) error {
	switch {
	case len(missing) == 0:
		return nil
	case slices.Contains(missing, dlq):
		return fmt.Errorf("%w: the dead letters' topic %s does not exist, and HIREBRIDGE_KAFKA_CREATE_TOPICS is false: an operator must create it", sinks.ErrUnavailable, dlq)
	}
	return &sinks.DegradedError{Status: "topics_missing", Detail: fmt.Sprintf(
		"topics %s do not exist, and HIREBRIDGE_KAFKA_CREATE_TOPICS is false: their events go to the dead letters until an operator creates them",
		strings.Join(missing, ", "))}
}

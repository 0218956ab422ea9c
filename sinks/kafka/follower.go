package kafka

// Kafka's sinks.Follower: Reader.Follow behind the interface the NATS
// follower (natsjs.Follower) implements, so `hirebridge tail` prints the
// same lines from either broker.

import (
	"context"
	"fmt"
	"strings"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

var _ sinks.Follower = (*Follower)(nil)

// Follower follows topics by fetching their partitions directly: no
// consumer group, so nothing is committed on the cluster.
type Follower struct {
	reader  *Reader
	brokers string
	prefix  string
}

// NewFollower connects with c's settings (brokers, SASL, TLS); prefix is
// the topics', named when a filter matches none.
func NewFollower(c Config, prefix string) (*Follower, error) {
	r, err := NewReader(c)
	if err != nil {
		return nil, err
	}
	return &Follower{reader: r, brokers: strings.Join(c.Brokers, ","), prefix: prefix}, nil
}

// Where names the brokers.
func (f *Follower) Where() string { return "Kafka at " + f.brokers }

// Close releases the connections.
func (f *Follower) Close() error {
	f.reader.Close()
	return nil
}

// Follow takes the same filter syntax as on NATS: topics are named as the
// subjects are, so "hirempire.*" and "hirempire.>" mean the same on both.
// It is checked against the topics that exist.
func (f *Follower) Follow(ctx context.Context, filter string, fromStart bool, started func(), fn func(sinks.Stored) error) error {
	if err := sinks.CheckPattern(filter); err != nil {
		return &sinks.FilterError{Filter: filter, Err: err}
	}
	topics, err := f.reader.Topics(ctx)
	if err != nil {
		return fmt.Errorf("kafka at %s: %w", f.brokers, err)
	}
	if err := matchesATopic(filter, f.prefix, topics); err != nil {
		return &sinks.FilterError{Filter: filter, Err: err}
	}
	if started != nil {
		started()
	}
	err = f.reader.Follow(ctx, func(topic string) bool { return sinks.Matches(filter, topic) }, fromStart, func(st sinks.Stored) error {
		return fn(followed(st))
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// matchesATopic refuses a filter that matches no topic, naming those
// under the prefix, so a typo is not a silent wait.
func matchesATopic(filter, prefix string, topics []string) error {
	var ours []string
	for _, t := range topics {
		if sinks.Matches(filter, t) {
			return nil
		}
		if strings.HasPrefix(t, prefix+".") {
			ours = append(ours, t)
		}
	}
	if len(ours) == 0 {
		return fmt.Errorf("%q matches no topic, and there is none under %s. yet: start the service first", filter, prefix)
	}
	return fmt.Errorf("%q matches no topic; there are %s", filter, strings.Join(ours, ", "))
}

// followed is a record in the form every Follower gives: the binding's
// ce_<name> headers as ce-<name>, the rest as they are.
func followed(st sinks.Stored) sinks.Stored {
	hs := make([]sinks.Header, len(st.Headers))
	for i, h := range st.Headers {
		if rest, ok := strings.CutPrefix(h.Name, events.Kafka.AttributePrefix); ok {
			h.Name = events.NATS.AttributePrefix + rest
		}
		hs[i] = h
	}
	st.Headers = hs
	return st
}

package kafka_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// waitFor polls cond until it holds, failing the test after 30s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	give := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(give) {
			t.Fatalf("waited 30s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitReady polls s.Ready until it reports ready (want) or not, and
// returns the last answer.
func waitReady(t *testing.T, s *kafka.Sink, want bool) error {
	t.Helper()
	var err error
	waitFor(t, map[bool]string{true: "ready", false: "not ready"}[want], func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 900*time.Millisecond)
		defer cancel()
		err = s.Ready(ctx)
		return (err == nil) == want
	})
	if err != nil && !errors.Is(err, sinks.ErrUnavailable) {
		t.Errorf("not ready: %v, want an error wrapping ErrUnavailable", err)
	}
	return err
}

// publish publishes m with a deadline of d and fails the test on error.
func publish(t *testing.T, s *kafka.Sink, m *sinks.Message, d time.Duration) sinks.Ack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	ack, err := s.Publish(ctx, m)
	if err != nil {
		t.Fatalf("publishing %s (id %s): %v", m.Topic, m.ID, err)
	}
	return ack
}

// countIDs counts records per ce_id header.
func countIDs(recs []kafkatest.Record) map[string]int {
	n := map[string]int{}
	for _, r := range recs {
		if id, ok := r.Header("ce_id"); ok {
			n[id]++
		}
	}
	return n
}

package sinktest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
)

// testBrokerDownThenBack: with the broker down, readiness says so and a
// publish fails as unavailable within its deadline; once it is back, the
// same event is stored once, as are those before and after.
func testBrokerDownThenBack(t *testing.T, h Harness) {
	s := h.NewSink(t)
	defer closeSink(t, s)
	topic := h.Prefix() + ".job_created"
	rc, _ := s.(sinks.ReadinessChecker)

	before := event(topic, "down-before", "job-1", 0)
	publish(t, s, before)
	if rc != nil {
		waitReady(t, rc, true)
	}

	h.StopBroker(t)
	if rc != nil {
		waitReady(t, rc, false)
	}
	during := event(topic, "down-during", "job-1", 1)
	const deadline = 1500 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	start := time.Now()
	_, err := s.Publish(ctx, during)
	took := time.Since(start)
	cancel()
	t.Logf("publish with the broker down failed after %s: %v", took, err)
	if !errors.Is(err, sinks.ErrUnavailable) {
		t.Errorf("publish with the broker down: %v, want an error wrapping ErrUnavailable", err)
	}
	// Bounded by the caller's deadline, with slack for a loaded machine.
	if took > deadline+2*time.Second {
		t.Errorf("publish with the broker down took %s, deadline %s", took, deadline)
	}

	h.StartBroker(t)
	if rc != nil {
		waitReady(t, rc, true)
	}
	after := event(topic, "down-after", "job-1", 2)
	for _, m := range []*sinks.Message{during, after} {
		publishEventually(t, s, m)
	}

	count := map[string]int{}
	for _, r := range h.Records(t, topic) {
		for _, id := range r.Header(h.Binding().AttributePrefix + "id") {
			count[id]++
		}
	}
	for _, m := range []*sinks.Message{before, during, after} {
		if count[m.ID] != 1 {
			t.Errorf("%s stored %d times, want once", m.ID, count[m.ID])
		}
	}
}

// publishEventually retries m, as a sender answered 503 would, until the
// freshly restarted broker takes it.
func publishEventually(t *testing.T, s sinks.Sink, m *sinks.Message) {
	t.Helper()
	give := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err := s.Publish(ctx, m)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(give) {
			t.Fatalf("publishing %s after the broker came back: %v", m.ID, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitReady(t *testing.T, rc sinks.ReadinessChecker, want bool) {
	t.Helper()
	give := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 900*time.Millisecond)
		err := rc.Ready(ctx)
		cancel()
		if (err == nil) == want {
			if err != nil && !errors.Is(err, sinks.ErrUnavailable) {
				t.Errorf("not ready: %v, want an error wrapping ErrUnavailable", err)
			}
			return
		}
		if time.Now().After(give) {
			t.Fatalf("readiness still %v after 20s, want ready=%v", err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

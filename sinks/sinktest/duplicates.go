package sinktest

import (
	"context"
	"sync"
	"testing"

	"github.com/hirebridge/hirebridge/sinks"
)

// testDuplicates: an exact retry, sequential or concurrent, is stored once,
// and only one of the concurrent publishes is answered as new.
func testDuplicates(t *testing.T, h Harness) {
	s := h.NewSink(t)
	defer closeSink(t, s)
	topic := h.Prefix() + ".meeting_booked"
	ceID := h.Binding().AttributePrefix + "id"

	m := event(topic, "dup-sequential", "applicant-7", 0)
	if ack := publish(t, s, m); ack.Duplicate {
		t.Errorf("first publish answered as a duplicate")
	}
	again := event(topic, "dup-sequential", "applicant-7", 0)
	if ack := publish(t, s, again); !ack.Duplicate {
		t.Errorf("exact retry not answered as a duplicate")
	}

	const callers = 8
	acks := make(chan sinks.Ack, callers)
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
			defer cancel()
			ack, err := s.Publish(ctx, event(topic, "dup-concurrent", "applicant-8", 1))
			if err != nil {
				errs <- err
				return
			}
			acks <- ack
		})
	}
	wg.Wait()
	close(acks)
	close(errs)
	for err := range errs {
		t.Errorf("concurrent publish of one id: %v", err)
	}
	fresh := 0
	for ack := range acks {
		if !ack.Duplicate {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d concurrent publishes of one id: %d answered as new, want 1", callers, fresh)
	}

	count := map[string]int{}
	for _, r := range h.Records(t, topic) {
		for _, id := range r.Header(ceID) {
			count[id]++
		}
	}
	for _, id := range []string{"dup-sequential", "dup-concurrent"} {
		if count[id] != 1 {
			t.Errorf("id %s stored %d times, want once", id, count[id])
		}
	}
}

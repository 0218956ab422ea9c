package sinktest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
)

// testCloseWhilePublishing: Close waits for the publishes in progress,
// every publish acknowledged before it is stored, and none after it is.
func testCloseWhilePublishing(t *testing.T, h Harness) {
	s := h.NewSink(t)
	topic := h.Prefix() + ".cv_upload_completed"
	const publishers = 8

	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	enough := make(chan struct{})
	var once sync.Once
	for p := range publishers {
		wg.Go(func() {
			for i := 0; ; i++ {
				m := event(topic, fmt.Sprintf("close-%d-%d", p, i), fmt.Sprintf("applicant-%d", p), i)
				ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
				_, err := s.Publish(ctx, m)
				cancel()
				if err != nil {
					return
				}
				mu.Lock()
				acked = append(acked, m.ID)
				if len(acked) >= 5*publishers {
					once.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		})
	}
	select {
	case <-enough:
	case <-time.After(30 * time.Second):
		t.Fatal("publishers made no progress")
	}
	start := time.Now()
	closeSink(t, s)
	t.Logf("Close took %s", time.Since(start))
	// Close waits for the publishes in progress: once it returns, none is
	// left waiting on an ack the closed connection can no longer deliver.
	ended := make(chan struct{})
	go func() { wg.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(time.Second):
		t.Errorf("publishers still blocked 1s after Close returned")
		wg.Wait()
	}
	t.Logf("publishers ended %s after Close began", time.Since(start))

	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	if _, err := s.Publish(ctx, event(topic, "close-after", "applicant-x", 0)); !errors.Is(err, sinks.ErrClosed) {
		t.Errorf("publish after Close: %v, want an error wrapping ErrClosed", err)
	}

	stored := map[string]bool{}
	for _, r := range h.Records(t, topic) {
		for _, id := range r.Header(h.Binding().AttributePrefix + "id") {
			stored[id] = true
		}
	}
	var lost []string
	for _, id := range acked {
		if !stored[id] {
			lost = append(lost, id)
		}
	}
	sort.Strings(lost)
	if len(lost) > 0 {
		t.Errorf("%d of %d acked publishes not stored: %v", len(lost), len(acked), lost)
	}
	if stored["close-after"] {
		t.Errorf("a publish after Close was stored")
	}
}

package sinktest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
)

// testKeys: every record carries its key as the subject, and on a broker
// with keys, records of one key share a partition.
func testKeys(t *testing.T, h Harness) {
	s := h.NewSink(t)
	defer closeSink(t, s)
	topic := h.Prefix() + ".job_updated"
	keys := []string{"job-1", "job-2", "job-3", "job-4", "job-5"}
	for i := range 30 {
		key := keys[i%len(keys)]
		publish(t, s, event(topic, fmt.Sprintf("keys-%d", i), key, i))
	}
	recs := h.Records(t, topic)
	if len(recs) != 30 {
		t.Fatalf("%d records, want 30", len(recs))
	}
	partitionOf := map[string]int{}
	for _, r := range recs {
		var bd body
		if err := json.Unmarshal(r.Body, &bd); err != nil {
			t.Fatalf("record body %q: %v", r.Body, err)
		}
		if got := r.Header(h.Binding().AttributePrefix + "subject"); len(got) != 1 || got[0] != bd.Key {
			t.Errorf("seq %d: subject %q, want %q", bd.Seq, got, bd.Key)
		}
		if !h.Binding().Keys {
			continue
		}
		if r.Key != bd.Key {
			t.Errorf("seq %d: key %q, want %q", bd.Seq, r.Key, bd.Key)
		}
		if p, ok := partitionOf[bd.Key]; ok && p != r.Partition {
			t.Errorf("key %s on partitions %d and %d", bd.Key, p, r.Partition)
		}
		partitionOf[bd.Key] = r.Partition
	}
}

// testPerKeyOrder: concurrent publishers, one per key, each waiting for
// its acks in turn; a consumer reads every key's records in order.
func testPerKeyOrder(t *testing.T, h Harness) {
	s := h.NewSink(t)
	defer closeSink(t, s)
	topic := h.Prefix() + ".applicant_stage_changed"
	const keys, perKey = 4, 40
	var wg sync.WaitGroup
	errs := make(chan error, keys)
	for k := range keys {
		key := fmt.Sprintf("applicant-%d", k)
		wg.Go(func() {
			for seq := range perKey {
				m := event(topic, fmt.Sprintf("%s-%d", key, seq), key, seq)
				ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
				_, err := s.Publish(ctx, m)
				cancel()
				if err != nil {
					errs <- fmt.Errorf("%s seq %d: %w", key, seq, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	next := map[string]int{}
	for _, r := range h.Records(t, topic) {
		var bd body
		if err := json.Unmarshal(r.Body, &bd); err != nil {
			t.Fatalf("record body %q: %v", r.Body, err)
		}
		if bd.Seq != next[bd.Key] {
			t.Errorf("%s: read seq %d, want %d", bd.Key, bd.Seq, next[bd.Key])
		}
		next[bd.Key] = bd.Seq + 1
	}
	for k := range keys {
		key := fmt.Sprintf("applicant-%d", k)
		if next[key] != perKey {
			t.Errorf("%s: read up to seq %d, want %d records", key, next[key], perKey)
		}
	}
}

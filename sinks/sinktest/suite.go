package sinktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
)

// Run runs every case, each against a Harness of its own from newHarness.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	cases := []struct {
		name string
		run  func(t *testing.T, h Harness)
	}{
		{"Headers", testHeaders},
		{"Keys", testKeys},
		{"PerKeyOrder", testPerKeyOrder},
		{"Duplicates", testDuplicates},
		{"BrokerDownThenBack", testBrokerDownThenBack},
		{"CloseWhilePublishing", testCloseWhilePublishing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, newHarness(t))
		})
	}
}

const (
	source    = "https://app.hirempire.com"
	eventTime = "2026-01-30T00:14:56.395Z"
	// publishTimeout is each publish's deadline where the broker is up;
	// generous, since the CI machine is small and shared.
	publishTimeout = 10 * time.Second
)

// body is the JSON the suite publishes; key and seq let a reader check
// keys and order without trusting headers.
type body struct {
	Event string `json:"event"`
	Key   string `json:"key,omitempty"`
	Seq   int    `json:"seq"`
	Note  string `json:"note,omitempty"`
}

func event(topic, id, key string, seq int) *sinks.Message {
	name := topic[strings.LastIndexByte(topic, '.')+1:]
	b, _ := json.Marshal(body{Event: name, Key: key, Seq: seq})
	return &sinks.Message{
		Topic: topic,
		ID:    id,
		Key:   key,
		Body:  b,
		Event: &sinks.CloudEvent{
			Type:    "com.hirempire." + name,
			Source:  source,
			Time:    eventTime,
			Subject: key,
		},
	}
}

func publish(t *testing.T, s sinks.Sink, m *sinks.Message) sinks.Ack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	ack, err := s.Publish(ctx, m)
	if err != nil {
		t.Fatalf("publishing %s (id %s): %v", m.Topic, m.ID, err)
	}
	return ack
}

func closeSink(t *testing.T, s sinks.Sink) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Errorf("closing the sink: %v", err)
	}
}

func testHeaders(t *testing.T, h Harness) {
	b := h.Binding()
	s := h.NewSink(t)
	defer closeSink(t, s)

	keyed := event(h.Prefix()+".applicant_applied", "id-keyed", "applicant-42", 0)
	keyed.Headers = []sinks.Header{
		{Name: "traceparent", Value: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
		{Name: "tracestate", Value: "congo=t61rcWkgMzE"},
		{Name: "hirebridge-validated", Value: "false"},
	}
	keyed.Event.DataSchema = "https://hirebridge.dev/schemas/applicant_applied.json"
	unkeyed := event(h.Prefix()+".company_updated", "id-unkeyed", "", 1)
	dead := &sinks.Message{
		Topic: sinks.DeadLetterTopic(h.Prefix()),
		ID:    "id-dead",
		Body:  []byte("not json {"),
		Headers: []sinks.Header{
			{Name: "hirebridge-reason", Value: "invalid_json"},
			{Name: "hirebridge-detail", Value: "body is not JSON"},
		},
	}
	for _, m := range []*sinks.Message{keyed, unkeyed, dead} {
		if ack := publish(t, s, m); ack.Duplicate {
			t.Errorf("%s: first publish answered as a duplicate", m.ID)
		}
	}

	ce := func(attr string) string { return b.AttributePrefix + attr }
	want := map[*sinks.Message]map[string]string{
		keyed: {
			ce("specversion"): "1.0", ce("id"): keyed.ID, ce("source"): source,
			ce("type"): "com.hirempire.applicant_applied", ce("time"): eventTime,
			ce("subject"): "applicant-42", "content-type": "application/json",
			ce("dataschema"): "https://hirebridge.dev/schemas/applicant_applied.json",
			"traceparent":    keyed.Headers[0].Value, "tracestate": keyed.Headers[1].Value,
			"hirebridge-validated": "false",
		},
		unkeyed: {
			ce("specversion"): "1.0", ce("id"): unkeyed.ID, ce("source"): source,
			ce("type"): "com.hirempire.company_updated", ce("time"): eventTime,
			"content-type": "application/json",
		},
		dead: {"hirebridge-reason": "invalid_json", "hirebridge-detail": "body is not JSON"},
	}
	if b.DataContentTypeAttribute {
		want[keyed][ce("datacontenttype")] = "application/json"
		want[unkeyed][ce("datacontenttype")] = "application/json"
	}
	for m, headers := range want {
		recs := h.Records(t, m.Topic)
		if len(recs) != 1 {
			t.Errorf("%s: %d records, want 1", m.Topic, len(recs))
			continue
		}
		r := recs[0]
		if r.Topic != m.Topic {
			t.Errorf("record topic %q, want %q", r.Topic, m.Topic)
		}
		if !bytes.Equal(r.Body, m.Body) {
			t.Errorf("%s: body %q, want %q", m.Topic, r.Body, m.Body)
		}
		if b.Keys && r.Key != m.Key {
			t.Errorf("%s: key %q, want %q", m.Topic, r.Key, m.Key)
		}
		checkHeaders(t, m.Topic, r, headers, b.BrokerHeaders)
	}
}

// checkHeaders wants exactly the headers in want, each once, apart from the
// broker's own.
func checkHeaders(t *testing.T, topic string, r Record, want map[string]string, ignore []string) {
	t.Helper()
	seen := map[string]int{}
	for _, hd := range r.Headers {
		if slices.Contains(ignore, hd.Name) {
			continue
		}
		seen[hd.Name]++
		w, ok := want[hd.Name]
		switch {
		case !ok:
			t.Errorf("%s: unexpected header %s=%q", topic, hd.Name, hd.Value)
		case hd.Value != w:
			t.Errorf("%s: header %s=%q, want %q", topic, hd.Name, hd.Value, w)
		}
	}
	for name := range want {
		if seen[name] != 1 {
			t.Errorf("%s: header %s present %d times, want once", topic, name, seen[name])
		}
	}
}

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

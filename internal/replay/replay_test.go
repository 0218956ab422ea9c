package replay

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/bridge"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// broker is a sink whose dead letters are read partition by partition, as
// Kafka's are: the read order is not the stored order.
type broker struct {
	partitions [][]sinks.Stored
	topics     map[string][]string // ids published, per topic
	published  []string            // event ids, in the order published
	reads      int
	failAfter  int // publishes before the broker fails; 0 never
	// afterFirstRead runs once the first read is over: the dead letters
	// may change meanwhile.
	afterFirstRead func(*broker)
}

func (b *broker) DeadLetters(ctx context.Context, since time.Time, fn func(sinks.Stored) error) error {
	b.reads++
	defer func() {
		if b.reads == 1 && b.afterFirstRead != nil {
			b.afterFirstRead(b)
		}
	}()
	for _, part := range b.partitions {
		for _, st := range part {
			if st.Time.Before(since) {
				continue
			}
			if err := fn(st); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *broker) Holding(ctx context.Context, topic string, ids map[string]bool) (map[string]bool, error) {
	found := map[string]bool{}
	for _, id := range b.topics[topic] {
		if ids[id] {
			found[id] = true
		}
	}
	return found, nil
}

func (b *broker) Publish(ctx context.Context, m *sinks.Message) (sinks.Ack, error) {
	if b.failAfter > 0 && len(b.published) >= b.failAfter {
		return sinks.Ack{}, errors.New("broker away")
	}
	b.topics[m.Topic] = append(b.topics[m.Topic], m.ID)
	b.published = append(b.published, m.ID)
	return sinks.Ack{}, nil
}

func (b *broker) Close(context.Context) error { return nil }

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// deadLetter is a rejected body of an undocumented type, which replay with
// strict mode off publishes, stored at t0 plus i seconds.
func deadLetter(i int) sinks.Stored {
	body := fmt.Sprintf(`{"event":"candidate_rated","timestamp":"2025-01-02T03:04:05Z","candidate":{"id":"cand-%d"},"rating":4}`, i)
	return sinks.Stored{
		Topic:   "hirempire.dlq",
		Body:    []byte(body),
		Time:    t0.Add(time.Duration(i) * time.Second),
		Headers: []sinks.Header{{Name: events.HeaderReason, Value: "unknown_event_type"}},
	}
}

// interleaved stores n dead letters, even seconds on one partition and odd
// on the other: read, they come 0 2 4 ... 1 3 5 ...
func interleaved(n int) *broker {
	b := &broker{partitions: make([][]sinks.Stored, 2), topics: map[string][]string{}}
	for i := range n {
		b.partitions[i%2] = append(b.partitions[i%2], deadLetter(i))
	}
	return b
}

func replayer(b *broker, holdBytes int) *Replayer {
	r := New(b, bridge.Config{Prefix: "hirempire", Source: "https://app.hirempire.com", PublishTimeout: time.Second})
	r.holdBytes = holdBytes
	return r
}

// wantStoredOrder fails unless b published the events of dead letters 0..n-1
// once each, in the order they were stored.
func wantStoredOrder(t *testing.T, b *broker, sum *Summary, n int) {
	t.Helper()
	var want []string
	for _, dl := range sum.DeadLetters {
		want = append(want, dl.EventID)
	}
	if len(want) != n || !slices.Equal(b.published, want) {
		t.Errorf("published %v, want the %d events in the order stored %v", b.published, n, want)
	}
	for i, dl := range sum.DeadLetters {
		if dl.Outcome != Published || !dl.Stored.Equal(t0.Add(time.Duration(i)*time.Second)) {
			t.Errorf("dead letter %d: %+v", i, dl)
		}
	}
}

// Whatever the bodies held allow, the events are published in the order
// stored, once each, and the bodies are read again rather than kept: with
// room for every body, in one more read; with room for few, in more.
func TestRunPublishesInStoredOrder(t *testing.T) {
	for _, tt := range []struct {
		name      string
		holdBytes int
		reads     int
	}{
		{"room for all", 1 << 20, 2},
		{"room for one", len(deadLetter(0).Body), 3},
		// Each read publishes one body from each partition.
		{"room for none", 0, 6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := interleaved(10)
			sum, err := replayer(b, tt.holdBytes).Run(t.Context(), Filter{}, false)
			if err != nil {
				t.Fatal(err)
			}
			wantStoredOrder(t, b, sum, 10)
			if b.reads != tt.reads {
				t.Errorf("%d reads of the dead letters, want %d", b.reads, tt.reads)
			}
			// Again: nothing twice.
			before := len(b.published)
			again, err := replayer(b, tt.holdBytes).Run(t.Context(), Filter{}, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(b.published) != before || again.Outcomes[AlreadyPublished] != 10 {
				t.Errorf("a second run published %d more: %v", len(b.published)-before, again.Outcomes)
			}
		})
	}
}

// A dry run reads the dead letters once: it needs no body to say what it
// would publish.
func TestRunDryRunReadsOnce(t *testing.T) {
	b := interleaved(4)
	sum, err := replayer(b, 0).Run(t.Context(), Filter{Since: t0.Add(time.Second)}, true)
	if err != nil {
		t.Fatal(err)
	}
	if b.reads != 1 || len(b.published) != 0 || sum.Read != 3 || sum.Outcomes[WouldPublish] != 3 {
		t.Errorf("dry run: %d reads, published %v, summary %+v", b.reads, b.published, sum)
	}
}

// The same event in two dead letters is published once.
func TestRunSameEventTwice(t *testing.T) {
	b := &broker{topics: map[string][]string{}}
	first, second := deadLetter(0), deadLetter(0)
	second.Time = second.Time.Add(time.Minute)
	b.partitions = [][]sinks.Stored{{second}, {first}}
	sum, err := replayer(b, 0).Run(t.Context(), Filter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.published) != 1 || sum.Outcomes[Published] != 1 || sum.Outcomes[AlreadyPublished] != 1 ||
		!sum.DeadLetters[0].Stored.Equal(first.Time) || sum.DeadLetters[0].Outcome != Published {
		t.Errorf("published %v; summary %+v", b.published, sum.DeadLetters)
	}
}

// A broker fault stops the run: the rest is not tried, and said so.
func TestRunHaltsOnBrokerFault(t *testing.T) {
	b := interleaved(5)
	b.failAfter = 2
	sum, err := replayer(b, 0).Run(t.Context(), Filter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Outcomes[Published] != 2 || sum.Outcomes[Failed] != 1 || sum.Outcomes[NotTried] != 2 || sum.Unpublished() != 3 {
		t.Errorf("outcomes %v", sum.Outcomes)
	}
}

// A dead letter removed between the reads (the stream's limits) is said
// not tried, and the run ends.
func TestRunDeadLetterGone(t *testing.T) {
	b := interleaved(4)
	b.afterFirstRead = func(b *broker) { b.partitions[1] = b.partitions[1][1:] } // dead letter 1
	sum, err := replayer(b, 0).Run(t.Context(), Filter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum.DeadLetters[1]; got.Outcome != NotTried || got.Detail == "" {
		t.Errorf("the dead letter gone: %+v", got)
	}
	if sum.Outcomes[Published] != 3 || len(b.published) != 3 {
		t.Errorf("outcomes %v, published %v", sum.Outcomes, b.published)
	}
}

// One replays a single dead letter as Run would.
func TestOne(t *testing.T) {
	b := interleaved(1)
	r := replayer(b, 0)
	for _, want := range []string{Published, AlreadyPublished} {
		res, err := r.One(t.Context(), deadLetter(0), false)
		if err != nil || res.Outcome != want {
			t.Errorf("One: %+v, %v; want %s", res, err, want)
		}
	}
	bad := deadLetter(1)
	bad.Body = []byte(`{"event":"job_added","timestamp":"yesterday","job":{"id":"j1"}}`)
	if res, err := r.One(t.Context(), bad, true); err != nil || res.Outcome != Rejected || res.RejectedAs == "" {
		t.Errorf("One on a body still rejected: %+v, %v", res, err)
	}
}

func TestParseSince(t *testing.T) {
	now := t0
	for in, want := range map[string]time.Time{"": {}, "24h": now.Add(-24 * time.Hour), "2025-01-01T00:00:00Z": time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if got, err := ParseSince(in, now); err != nil || !got.Equal(want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"-1h", "0s", "yesterday"} {
		if _, err := ParseSince(in, now); err == nil {
			t.Errorf("ParseSince(%q) accepted", in)
		}
	}
}

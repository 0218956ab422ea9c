package kafka_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

var resolvedTopic = kafka.ResolvedTopic(prefix)

func resolve(t *testing.T, s *kafka.Sink, id string, m sinks.Mark) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Resolve(ctx, id, m); err != nil {
		t.Fatalf("resolving %s: %v", id, err)
	}
}

func resolved(t *testing.T, s *kafka.Sink) map[string]sinks.Mark {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	marks, err := s.Resolved(ctx)
	if err != nil {
		t.Fatalf("reading the marks: %v", err)
	}
	return marks
}

func sameMarks(got, want map[string]sinks.Mark) bool {
	if len(got) != len(want) {
		return false
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok || !g.At.Equal(w.At) || g.By != w.By || g.Note != w.Note {
			return false
		}
	}
	return true
}

// A mark written by one replica is read by another, which did not know
// the topic yet; marking again replaces the mark.
func TestResolveIsSeenByAnotherReplica(t *testing.T) {
	cluster := kafkatest.Start(t)
	a := openSink(t, cluster, kafka.Config{})
	b := openSink(t, cluster, kafka.Config{})
	if marks := resolved(t, b); len(marks) != 0 {
		t.Fatalf("marks before any: %v", marks)
	}

	at := time.Date(2026, 12, 7, 4, 0, 0, 123_000_000, time.UTC)
	first := sinks.Mark{At: at, By: "console", Note: "sender fixed"}
	resolve(t, a, "dlq-0001", first)
	if got, want := resolved(t, b), map[string]sinks.Mark{"dlq-0001": first}; !sameMarks(got, want) {
		t.Fatalf("the other replica reads %v, want %v", got, want)
	}

	again := sinks.Mark{At: at.Add(time.Minute), By: "alice", Note: "replayed by hand"}
	resolve(t, b, "dlq-0001", again)
	other := sinks.Mark{At: at.Add(2 * time.Minute), By: "console"}
	resolve(t, a, "dlq-undeliverable-e1", other)
	want := map[string]sinks.Mark{"dlq-0001": again, "dlq-undeliverable-e1": other}
	for _, s := range []*kafka.Sink{a, b} {
		if got := resolved(t, s); !sameMarks(got, want) {
			t.Errorf("marks %v, want %v", got, want)
		}
	}
	// A replica started later reads the same.
	if got := resolved(t, openSink(t, cluster, kafka.Config{})); !sameMarks(got, want) {
		t.Errorf("a new replica reads %v, want %v", got, want)
	}
	// The topic holds one record a mark, keyed by the id.
	recs := cluster.Records(t, resolvedTopic)
	var keys []string
	for _, r := range recs {
		keys = append(keys, string(r.Key))
	}
	if want := []string{"dlq-0001", "dlq-0001", "dlq-undeliverable-e1"}; !slices.Equal(keys, want) {
		t.Errorf("record keys %v, want %v", keys, want)
	}
}

// Without any mark there is no topic, and no error; reading creates
// nothing.
func TestResolvedWithoutTopic(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{})
	if marks := resolved(t, s); len(marks) != 0 {
		t.Errorf("marks %v, want none", marks)
	}
	if n := cluster.Partitions(t, resolvedTopic); n != 0 {
		t.Errorf("reading the marks created %s with %d partitions", resolvedTopic, n)
	}
	if err := s.Resolve(context.Background(), "", sinks.Mark{}); err == nil {
		t.Error("a mark without id was written")
	}
}

// The marks' topic is compacted, of one partition, with the copies the
// sink gives its topics; it is no destination, and no search reads it.
func TestResolvedTopicSettings(t *testing.T) {
	cluster := kafkatest.StartBrokers(t, 3)
	s := openSink(t, cluster, kafka.Config{ReplicationFactor: "2"})
	resolve(t, s, "dlq-0001", sinks.Mark{At: time.Now(), By: "console"})

	replicas := cluster.Replicas(t, resolvedTopic)
	if len(replicas) != 1 || len(replicas[0]) != 2 {
		t.Errorf("replicas by partition %v, want one partition of 2 copies", replicas)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	configs, err := kadm.NewClient(cl).DescribeTopicConfigs(ctx, resolvedTopic)
	if err != nil {
		t.Fatalf("describing %s: %v", resolvedTopic, err)
	}
	c, err := configs.On(resolvedTopic, nil)
	if err != nil || c.Err != nil {
		t.Fatalf("configs of %s: %v %v", resolvedTopic, err, c.Err)
	}
	policy := ""
	for _, e := range c.Configs {
		if e.Key == "cleanup.policy" && e.Value != nil {
			policy = *e.Value
		}
	}
	if policy != "compact" {
		t.Errorf("cleanup.policy %q, want compact", policy)
	}

	dests, err := s.Destinations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(dests, resolvedTopic) {
		t.Errorf("destinations %v include %s", dests, resolvedTopic)
	}
	for _, filter := range []string{">", "*.*.*", prefix + ".>"} {
		f := search(t, s, sinks.Query{Filter: filter})
		for _, m := range f.Messages {
			if strings.HasPrefix(m.Topic, "_hirebridge") {
				t.Errorf("%s: a search read %s", filter, m.Topic)
			}
		}
		if f.Scanned != 0 {
			t.Errorf("%s: scanned %d records, want none", filter, f.Scanned)
		}
	}
}

// With topic creation off, the operator creates the marks' topic: until
// then a mark is refused, saying how.
func TestResolveWithoutTopicCreation(t *testing.T) {
	cluster := kafkatest.Start(t)
	openSink(t, cluster, kafka.Config{}) // creates the event topics
	s := openSink(t, cluster, kafka.Config{CreateTopics: "false"})
	err := s.Resolve(context.Background(), "dlq-0001", sinks.Mark{At: time.Now()})
	if !errors.Is(err, sinks.ErrRefused) || !strings.Contains(err.Error(), "cleanup.policy=compact") {
		t.Errorf("resolving without the topic: %v, want a refusal naming its settings", err)
	}
	if marks := resolved(t, s); len(marks) != 0 {
		t.Errorf("marks %v", marks)
	}
}

// A marks' topic deleted while the sink knew it is created again by the
// next mark.
func TestResolveAfterTopicDeleted(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{})
	at := time.Now().UTC().Truncate(time.Millisecond)
	resolve(t, s, "dlq-0001", sinks.Mark{At: at})
	cluster.DeleteTopic(t, resolvedTopic)
	next := sinks.Mark{At: at.Add(time.Second), By: "console"}
	resolve(t, s, "dlq-0002", next)
	if got, want := resolved(t, s), map[string]sinks.Mark{"dlq-0002": next}; !sameMarks(got, want) {
		t.Errorf("marks %v, want %v", got, want)
	}
}
